from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "coursebridge.records"
    label = "records"
    verbose_name = "Course records"

    def ready(self) -> None:
        # learning and accounts import nothing of records: records listens to them (decision 0012).
        from coursebridge.accounts.services import register_users_created_listener
        from coursebridge.learning.services import register_completion_listener
        from coursebridge.records.credit import on_enrollments_completed
        from coursebridge.records.held import on_users_created

        register_completion_listener(on_enrollments_completed)
        register_users_created_listener(on_users_created)
