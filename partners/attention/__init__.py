"""What needs a partner manager: daily flags, reminder emails, work lists."""
