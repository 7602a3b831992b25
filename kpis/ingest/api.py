"""Daily facts over the API: import runs (with their error reports) and the
push of a batch of facts, which goes through the import page's machinery
(kpis.ingest.services and the pipeline)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.lib.api import (
    ErrorSerializer,
    HasRole,
    PayloadTooLarge,
    RulesViewSet,
    request_user,
)
from channelhub.lib.parsers import PlainJSONParser
from channelhub.lib.text import text_problem
from channelhub.lib.uploads import read_head
from kpis.models import COUNT_COLUMNS, ImportRun, Source

from . import selectors, services
from .checks import (
    KNOWN_COLUMNS,
    MAX_COUNT_DIGITS,
    MAX_MONEY_INTEGER_DIGITS,
    FileProblem,
)
from .pipeline import import_execute
from .sources import UnknownSource, attach_source, plan_for

# --- import runs -----------------------------------------------------------


class ImportRunSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    channels = serializers.SerializerMethodField(help_text="Ids of the channels it touched.")

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "status",
            "source",
            "original_name",
            "file_size",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "rows_total",
            "rows_processed",
            "rows_added",
            "rows_replaced",
            "rows_unchanged",
            "values_rounded",
            "columns",
            "ignored_columns",
            "channels_created",
            "channels",
            "first_day",
            "last_day",
            "error_count",
            "bad_rows",
            "message",
            "recompute_run",
            "undone_at",
        ]
        read_only_fields = fields

    def get_channels(self, obj: ImportRun) -> list[int]:
        return list(obj.channel_ids or [])


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True,
        help_text="Line of the file (the header is line 1); for a JSON batch, the line of "
        "its CSV form (row + 2).",
    )
    row = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="JSON batches only: the 0-based index of the row in the array (null for "
        "a problem with the batch as a whole).",
    )
    column = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ImportRunDetailSerializer(ImportRunSerializer):
    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "errors"]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        # Set here, not as an attribute: `errors` would hide Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = ImportErrorSerializer(
            many=True, read_only=True, help_text="The first errors of a rejected import."
        )
        return fields


class ImportRunFilter(django_filters.FilterSet):
    sort = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("status", "status"), ("rows_total", "rows"))
    )

    class Meta:
        model = ImportRun
        fields = ["status", "source"]


class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RulesViewSet):
    """Imports of daily facts (from the import page, the command line and the API)."""

    filterset_class = ImportRunFilter
    perms = {"view": "kpis.view_importrun"}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require("view")

    def get_queryset(self) -> QuerySet[ImportRun]:
        return selectors.import_list(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ImportRunDetailSerializer if self.action == "retrieve" else ImportRunSerializer


# --- pushing daily facts -----------------------------------------------------------

MAX_PUSH_ROWS = 10_000
# A JSON batch of 10,000 rows with every column is about 3 MB; anything far
# bigger is refused before it is parsed.
MAX_JSON_BYTES = 16 * 1024 * 1024
JSON_BATCH_NAME = "api-facts.csv"
_AS_LINE = re.compile(r"as line (\d+)")


def _cell_schema(column: str) -> dict[str, Any]:
    """What a cell of a number column may hold: a number, the same as text, or null
    (the import's bounds: amounts up to 9,999,999,999.99, counts whole up to 12 digits)."""
    if column in COUNT_COLUMNS:
        number = {"type": "integer", "minimum": 0, "maximum": 10**MAX_COUNT_DIGITS - 1}
        text = f"^[0-9]{{1,{MAX_COUNT_DIGITS}}}$"
    else:
        number = {"type": "number", "minimum": 0, "maximum": 9_999_999_999.99, "multipleOf": 0.01}
        text = f"^[0-9]{{1,{MAX_MONEY_INTEGER_DIGITS}}}(\\.[0-9]{{1,2}})?$"
    return {"oneOf": [number, {"type": "string", "pattern": text}], "nullable": True}


class FactRowSerializer(serializers.Serializer):
    """One row of daily facts, with the import file's column names (METRICS.md s1)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        def number(help_text: str, column: str) -> serializers.Field:
            # A class of its own: extend_schema_field marks the class it is given.
            cell = type(f"FactCell_{column}", (serializers.JSONField,), {})
            field = extend_schema_field(_cell_schema(column))(cell)
            return field(help_text=help_text + " (number or numeric string)")

        return {
            "date": serializers.DateField(help_text="YYYY-MM-DD"),
            "channel": serializers.CharField(help_text="The channel's slug (or unique name)."),
            "partner": serializers.CharField(
                required=False, allow_null=True, help_text="Partner slug; blank: channel-level."
            ),
            **{
                column: number(f"{column}, >= 0", column)
                for column in KNOWN_COLUMNS
                if column not in ("date", "channel", "partner")
            },
        }


class FactsUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv, .txt or .xlsx file, as on the import page.")
    mapping = serializers.CharField(
        required=False,
        help_text='A JSON object: {"columns": {"Cost": "spend", "CTR": "__ignore__"}, '
        '"constant_channel": "paid-search", "channel_values": {"Brand EU": "paid-search", '
        '"Test": "__drop__"}, "date_format": "%d.%m.%Y", "decimal": ","}; on top of `source`.',
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # Set here: an attribute named `source` would hide Field.source.
        fields = super().get_fields()
        fields["source"] = serializers.CharField(
            required=False,
            help_text="A saved source's name or a preset's slug (google-ads, meta-ads, "
            "microsoft-ads, tiktok-ads, shopify, amazon-seller, ga4). Without it (and without "
            "`mapping`), a saved source with the file's header is used, else the column names.",
        )
        return fields


class FactsResultSerializer(serializers.Serializer):
    import_run = serializers.IntegerField()
    status = serializers.CharField()
    rows = serializers.IntegerField()
    added = serializers.IntegerField()
    replaced = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    values_rounded = serializers.IntegerField(help_text="Amounts rounded to cents.")
    columns = serializers.ListField(child=serializers.CharField())
    ignored_columns = serializers.ListField(child=serializers.CharField())
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(allow_null=True)
    recompute_run = serializers.IntegerField(
        allow_null=True,
        help_text="The queued recompute of the channels and dates written; null when "
        "nothing changed (a re-push of the same batch).",
    )
    message = serializers.CharField()


class FactsRejectedSerializer(serializers.Serializer):
    """A rejected batch; a malformed request (not an array, ...) answers with the
    usual error body, which is this one without the batch's counts."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = ErrorSerializer().get_fields()
        fields["code"] = serializers.CharField(help_text="facts_rejected, or invalid")
        return {
            **fields,
            "import_run": serializers.IntegerField(
                required=False,
                allow_null=True,
                help_text="The rejected import, in import history (null when the batch "
                "could not even be turned into a file).",
            ),
            "rows": serializers.IntegerField(required=False),
            "bad_rows": serializers.IntegerField(required=False),
            "error_count": serializers.IntegerField(required=False),
            "row_errors": ImportErrorSerializer(many=True, required=False),
        }


def _cell(value: Any) -> str:
    """A JSON value as the text a CSV cell would hold (as an XLSX cell is read)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # the import refuses it as not a number
    if isinstance(value, float):
        # A whole-number float is an integer; otherwise its shortest decimal
        # repr (2.675, not 2.67499999...) is what the sender meant.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def facts_csv(rows: list[Any]) -> tuple[bytes, list[dict[str, Any]]]:
    """A JSON batch as the CSV file the import page would receive (header = the
    rows' keys), or the rows that cannot become one. Every row must have the
    same keys (null or "" for a blank cell), so that a key left out of one row
    cannot quietly blank a stored value."""
    problems: list[dict[str, Any]] = []

    def problem(index: int | None, column: str, value: Any, reason: str) -> None:
        problems.append(
            {
                "line": None if index is None else index + 2,
                "row": index,
                "column": column,
                "value": str(value)[:200],
                "reason": reason,
            }
        )

    columns: list[str] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problem(index, "", type(row).__name__, "each row must be an object")
            continue
        for key in row:
            if key not in columns:
                columns.append(key)
    bad_names = False
    for key in columns:
        # A cell is one line of a name or a number: the rules of a form's name field.
        reason = text_problem(key) or ("The column name is empty." if not key.strip() else None)
        if reason:
            problem(None, key, repr(key), reason)
            bad_names = True
    if bad_names:
        return b"", problems
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        cells = []
        for key in columns:
            if key not in row:
                problem(index, key, "", "missing: every row needs the same keys (null for blank)")
                continue
            value = row[key]
            if isinstance(value, dict | list):
                problem(index, key, value, "must be a string, a number or null")
                continue
            cell = _cell(value)
            reason = text_problem(cell)
            if reason:
                problem(index, key, repr(cell), reason)
                continue
            cells.append(cell)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8"), problems


def count_data_rows(upload: Any, name: str, limit: int) -> int:
    """Data rows of an uploaded file, counted up to `limit` + 1 (so the cost is bounded)."""
    upload.seek(0)
    count = 0
    try:
        if Path(name).suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(upload, read_only=True, data_only=True)
            try:
                for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True):
                    if any(v not in (None, "") for v in row):
                        count += 1
                        if count > limit:
                            break
            finally:
                workbook.close()
        else:
            text = io.TextIOWrapper(upload, encoding="utf-8-sig", errors="replace", newline="")
            try:
                reader = csv.reader(text)
                next(reader, None)
                for row in reader:
                    if any(cell.strip() for cell in row):
                        count += 1
                        if count > limit:
                            break
            finally:
                text.detach()
    except Exception:
        # Unreadable: the import says why, line by line.
        count = 0
    upload.seek(0)
    return count


def _too_many(rows: int, *, exact: bool) -> PayloadTooLarge:
    counted = f"{rows:,} rows" if exact else f"More than {MAX_PUSH_ROWS:,} rows"
    return PayloadTooLarge(
        f"{counted}: the limit is {MAX_PUSH_ROWS:,} rows a request. Split the batch, or "
        "import the file on the import page (or with `manage.py import_metrics`)."
    )


def _row_errors(errors: list[dict[str, Any]], *, json_batch: bool) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        item = {
            "line": error.get("line"),
            "column": error.get("column", ""),
            "value": str(error.get("value", "")),
            "reason": str(error.get("reason", "")),
        }
        if json_batch:
            line = item["line"]
            item["row"] = line - 2 if isinstance(line, int) and line >= 2 else None
            item["reason"] = _AS_LINE.sub(lambda m: f"as row {int(m.group(1)) - 2}", item["reason"])
        out.append(item)
    return out


class FactsPushView(APIView):
    """Push daily facts: validated and written exactly as an import-page upload."""

    permission_classes = [HasRole]
    parser_classes = [PlainJSONParser, MultiPartParser]
    # An import, as on the page: RATE_LIMITS["import"] per user (429 beyond).
    rate_limits = {"post": "import"}

    @extend_schema(
        operation_id="facts_push",
        request={
            "application/json": FactRowSerializer(
                many=True,
                min_length=1,  # type: ignore[call-arg]
                max_length=MAX_PUSH_ROWS,
            ),
            "multipart/form-data": FactsUploadSerializer,
        },
        parameters=[
            OpenApiParameter(
                "create_channels",
                bool,
                description="Create channels named in the batch that do not exist yet "
                "(kind “other”), as the import page's option does.",
            )
        ],
        responses={
            201: FactsResultSerializer,
            400: OpenApiResponse(
                FactsRejectedSerializer,
                description="The batch was rejected whole and nothing was written: every bad "
                "row with its column, value and reason. For a JSON batch `row` is the 0-based "
                "index of the row in the array (`line` = row + 2, the line of its CSV form). "
                "A malformed request (not an array, ...) gets the usual error body.",
            ),
            413: OpenApiResponse(
                ErrorSerializer, description="More than 10,000 rows (or a body over 16 MB)."
            ),
        },
        description="Upsert daily facts (METRICS.md s1): a JSON array of up to 10,000 row "
        "objects with the import file's column names, or a CSV/XLSX file (multipart field "
        "`file`). The batch is validated whole like the import page: one bad row and nothing "
        "is written. Rows whose (date, channel, partner) exist are replaced in the columns "
        "the batch has; pushing the same batch again changes nothing. Every row of a JSON "
        'batch must have the same keys (null or "" for a blank cell). A recompute of the '
        "channels and dates written is queued.",
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("kpis.add_importrun"):
            raise exceptions.PermissionDenied()
        flag = request.query_params.get("create_channels", "").lower()
        if flag not in ("", "1", "0", "true", "false", "yes", "no"):
            raise exceptions.ValidationError({"create_channels": ["Say true or false."]})
        create_channels = flag in ("1", "true", "yes")
        if (request.content_type or "").startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise exceptions.ValidationError({"file": ["Attach the file as `file`."]})
            try:
                services.check_upload(
                    name=upload.name or "", size=upload.size or 0, head=read_head(upload)
                )
            except FileProblem as problem:
                raise exceptions.ValidationError({"file": [str(problem)]}) from None
            rows = count_data_rows(upload, upload.name or "", MAX_PUSH_ROWS)
            if rows > MAX_PUSH_ROWS:
                raise _too_many(rows, exact=False)
            return self._import(
                request, upload, upload.name or "", False, create_channels, *self._plan(request)
            )
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_JSON_BYTES:
            raise PayloadTooLarge(
                f"The body is over {MAX_JSON_BYTES // (1024 * 1024)} MB: send at most "
                f"{MAX_PUSH_ROWS:,} rows a request."
            )
        batch = request.data
        if not isinstance(batch, list):
            raise exceptions.ValidationError(
                {"non_field_errors": ["Send a JSON array of row objects (or a file)."]}
            )
        if len(batch) > MAX_PUSH_ROWS:
            raise _too_many(len(batch), exact=True)
        if not batch:
            raise exceptions.ValidationError({"non_field_errors": ["The batch has no rows."]})
        content, problems = facts_csv(batch)
        if problems:
            return Response(
                {
                    "detail": f"{len({p['row'] for p in problems})} row(s) cannot be read; "
                    "nothing was imported.",
                    "code": "facts_rejected",
                    "import_run": None,
                    "rows": len(batch),
                    "bad_rows": len({p["row"] for p in problems}),
                    "error_count": len(problems),
                    "row_errors": problems[:1000],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return self._import(request, io.BytesIO(content), JSON_BATCH_NAME, True, create_channels)

    @staticmethod
    def _plan(request: Request) -> tuple[Source | None, dict[str, Any] | None]:
        """The source and inline mapping a file upload names (400 when unknown or bad)."""
        data: Any = request.data
        name = str(data.get("source") or "")
        text = data.get("mapping") or ""
        inline = None
        if text:
            try:
                inline = json.loads(text)
            except ValueError:
                inline = None
            if not isinstance(inline, dict):
                raise exceptions.ValidationError({"mapping": ["Give a JSON object."]})
        if not name and not inline:
            return None, None
        try:
            return plan_for(source=name, mapping=inline)
        except UnknownSource as unknown:
            raise exceptions.ValidationError({"source": [str(unknown)]}) from None

    def _import(
        self,
        request: Request,
        file: Any,
        name: str,
        json_batch: bool,
        create_channels: bool,
        data_source: Source | None = None,
        mapping: dict[str, Any] | None = None,
    ) -> Response:
        if create_channels and not request.user.has_perm("channels_app.add_channel"):
            raise exceptions.PermissionDenied("Creating channels needs a marketing manager.")
        try:
            run = services.import_create(
                file=file,
                name=name,
                user=request_user(request),
                source=ImportRun.Source.API,
                create_channels=create_channels,
                mapping=mapping,
                data_source=data_source,
            )
        except FileProblem as problem:
            raise exceptions.ValidationError({"file": [str(problem)]}) from None
        if mapping is None and not json_batch:
            attach_source(run)
        # In this request: the caller learns the outcome in the answer.
        result = import_execute(run.pk) or ImportRun.objects.get(pk=run.pk)
        if result.status != ImportRun.Status.SUCCEEDED:
            return Response(
                {
                    "detail": result.message or "The batch was rejected; nothing was imported.",
                    "code": "facts_rejected",
                    "import_run": result.pk,
                    "rows": result.rows_total,
                    "bad_rows": result.bad_rows,
                    "error_count": result.error_count,
                    "row_errors": _row_errors(result.errors or [], json_batch=json_batch),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "import_run": result.pk,
                "status": result.status,
                "rows": result.rows_total,
                "added": result.rows_added,
                "replaced": result.rows_replaced,
                "unchanged": result.rows_unchanged,
                "values_rounded": result.values_rounded,
                "columns": result.columns,
                "ignored_columns": result.ignored_columns,
                "first_day": result.first_day,
                "last_day": result.last_day,
                "recompute_run": result.recompute_run_id,
                "message": result.message,
            },
            status=status.HTTP_201_CREATED,
        )
