"""Render a template directory with the real Django's TemplateCommand, for parity tests.

Usage: python django_render.py {project|app} NAME TARGET TEMPLATE_DIR DJANGO_VERSION DOCS_VERSION SECRET_KEY

The installed Django's startproject/startapp command does the rendering; only the version facts
it would read from itself (django.__version__, get_docs_version) and the random key are pinned,
so that the template files of another Django release render as that release renders them.
"""

import os
import sys

import django
import django.core.management.commands.startproject as startproject
import django.core.management.templates as templates
from django.core.management import call_command

kind, name, target, template, version, docs_version, secret_key = sys.argv[1:]
django.__version__ = version
templates.get_docs_version = lambda: docs_version
startproject.get_random_secret_key = lambda: secret_key.removeprefix("django-insecure-")
# Django 5.2 wants an existing destination; 6.x creates it.
os.makedirs(target, exist_ok=True)
call_command("start" + kind, name, target, template=template, verbosity=0)
