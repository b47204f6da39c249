import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
django_application = get_wsgi_application()

# HACP messages (several a minute per learner) skip Django's request cycle, which they do not use
# (docs/decisions/0007-hacp-hot-path.md); everything else is Django's.
from coursebridge.content.hacp_wsgi import HacpFastPath  # noqa: E402  (needs the apps loaded)

application = HacpFastPath(django_application)
