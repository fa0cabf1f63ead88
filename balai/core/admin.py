from django.contrib import admin

from balai.core.models import TaskFailure


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["created", "task_path", "error_class", "attempts", "resolved"]
    list_filter = ["resolved", "task_path"]
    readonly_fields = [
        "task_path",
        "args",
        "kwargs",
        "attempts",
        "error_class",
        "error_message",
        "traceback",
        "created",
    ]
