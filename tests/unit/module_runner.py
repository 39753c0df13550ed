"""Run an Ansible module's main() in-process, the way ansible-test units do."""

import importlib.util
import io
import json
import os
import sys
from contextlib import redirect_stdout

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))


def load_module(role, name):
    """Import roles/<role>/library/<name>.py with the role's module_utils importable."""
    sys.path.insert(0, os.path.join(ROOT, "roles", role, "module_utils"))
    return load_plugin(role, "library", name)


def load_plugin(role, kind, name):
    """Import roles/<role>/<kind>/<name>.py (a filter or other plugin file) as a module."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "roles", role, kind, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_filters(role, name):
    """The filters of roles/<role>/filter_plugins/<name>.py: {filter name: function}."""
    return load_plugin(role, "filter_plugins", name).FilterModule().filters()


def run_module(module, args, check_mode=False):
    """Return the JSON result of module.main() with ``args``; ``failed`` set on fail_json."""
    payload = dict(args, _ansible_check_mode=check_mode, _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
    basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            module.main()
    except SystemExit:
        pass
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads(out.getvalue())
