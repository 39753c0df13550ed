"""The evaluation suite finds a student's accounts and passwords in stacks laid
out differently from ours (tests/evaluation/discover.py), on small fake
project trees: no VM, no Docker."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluation"))
from discover import Discovery, LocalTree, Secret, project_from_compose_ls  # noqa: E402

PROJECT = "/home/marvin/inception"


def tree(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Discovery(LocalTree(root), PROJECT)


OURS = {
    "srcs/.env": "COMPOSE_PROJECT_NAME=inception\nMYSQL_DATABASE=wordpress\nMYSQL_USER=wpuser\n"
                 "WP_TITLE='Inception of marvin'\nWP_ADMIN_USER=marvin\nWP_ADMIN_EMAIL=m@x.fr\n"
                 "WP_USER=arthur\nWP_USER_EMAIL=a@x.fr\nWP_USER_ROLE=author\n",
    "srcs/docker-compose.yml": "services:\n  mariadb:\n    env_file: .env\n    secrets: [db_password]\n"
                               "secrets:\n  db_password:\n    file: ../secrets/db_password.txt\n"
                               "  wp_admin_password:\n    file: ../secrets/wp_admin_password.txt\n",
    "secrets/db_password.txt": "x" * 20, "secrets/db_root_password.txt": "r" * 20,
    "secrets/wp_admin_password.txt": "a" * 20, "secrets/wp_user_password.txt": "u" * 20,
    "secrets/credentials.txt": "see the other files\n", "secrets/tls/marvin.42.fr.key": "-----BEGIN",
}


def test_our_layout(tmp_path):
    found = tree(tmp_path, OURS)
    admin, user, db = found.account("admin"), found.account("user"), found.account("db")
    assert (admin.name, admin.password, admin.why) == ("marvin", Secret(PROJECT + "/secrets/wp_admin_password.txt", None), "")
    assert (user.name, user.password) == ("arthur", Secret(PROJECT + "/secrets/wp_user_password.txt", None))
    assert (db.name, db.database, db.password) == ("wpuser", "wordpress", Secret(PROJECT + "/secrets/db_password.txt", None))
    assert found.compose == "srcs/docker-compose.yml"


def test_other_key_names_and_file_keys_pointing_at_compose_secrets(tmp_path):
    """MARIADB_*, WORDPRESS_ADMIN_LOGIN, WP_AUTHOR; passwords through *_PASSWORD_FILE
    keys in the compose environment naming compose secrets with unrelated file names."""
    found = tree(tmp_path, {
        "srcs/.env": "MARIADB_DATABASE=wp\nMARIADB_USER=bob\nWORDPRESS_ADMIN_LOGIN=boss\nWORDPRESS_ADMIN_EMAIL=b@x\n"
                     "WP_AUTHOR=ford\n",
        "srcs/docker-compose.yml": """
services:
  mariadb:
    environment:
      MARIADB_PASSWORD_FILE: /run/secrets/dbpw
      MARIADB_ROOT_PASSWORD_FILE: /run/secrets/rootpw
  wordpress:
    environment:
      - WORDPRESS_ADMIN_PASSWORD_FILE=/run/secrets/boss
      - WP_AUTHOR_PASSWORD_FILE=/run/secrets/second
      - WORDPRESS_DB_USER=${MARIADB_USER}
secrets:
  dbpw: {file: ../secrets/one.txt}
  rootpw: {file: ../secrets/two.txt}
  boss: {file: ../secrets/three.txt}
  second: {file: ../secrets/four.txt}
""",
        "secrets/one.txt": "1", "secrets/two.txt": "2", "secrets/three.txt": "3", "secrets/four.txt": "4"})
    assert found.account("admin")[:2] == ("boss", Secret(PROJECT + "/secrets/three.txt", None))
    assert found.account("user")[:2] == ("ford", Secret(PROJECT + "/secrets/four.txt", None))
    db = found.account("db")
    assert (db.name, db.database, db.password, db.why) == ("bob", "wp", Secret(PROJECT + "/secrets/one.txt", None), "")


def test_credentials_file_with_key_lines_and_alpine_style_paths(tmp_path):
    """compose.yaml, env_file in another place, passwords as KEY=value lines in
    secrets/credentials.txt, the database password in secrets/mysql_pass.txt."""
    found = tree(tmp_path, {
        "srcs/compose.yaml": "services:\n  wordpress:\n    env_file: [./env/wordpress.env]\n",
        "srcs/env/wordpress.env": "WP_ADMIN_LOGIN=chief\nWP_USER_LOGIN=zaphod\nDB_USER=wp\nDB_NAME=site\n"
                                  "WORDPRESS_DB_PASSWORD_FILE=/run/secrets/mysql_pass\n",
        "secrets/credentials.txt": "WP_ADMIN_PASSWORD='chief pass'\nexport WP_USER_PASSWORD=zz\n",
        "secrets/mysql_pass.txt": "db"})
    assert found.compose == "srcs/compose.yaml"
    assert found.account("admin")[:2] == ("chief", Secret(PROJECT + "/secrets/credentials.txt", "WP_ADMIN_PASSWORD"))
    assert found.account("user")[:2] == ("zaphod", Secret(PROJECT + "/secrets/credentials.txt", "WP_USER_PASSWORD"))
    assert found.account("db")[:3] == ("wp", Secret(PROJECT + "/secrets/mysql_pass.txt", None), "site")


def test_secret_files_named_differently(tmp_path):
    found = tree(tmp_path, {"srcs/docker-compose.yml": "services: {}\n",
                            "srcs/.env": "WP_ADMIN_USER=chief\nWP_USER=guest\nMYSQL_USER=u\nMYSQL_DATABASE=d\n",
                            "secrets/admin_pwd.txt": "a", "secrets/user_pass": "u", "secrets/mysql_root_pw.txt": "r",
                            "secrets/db_pw.txt": "d"})
    assert found.account("admin").password == Secret(PROJECT + "/secrets/admin_pwd.txt", None)
    assert found.account("user").password == Secret(PROJECT + "/secrets/user_pass", None)
    assert found.account("db").password == Secret(PROJECT + "/secrets/db_pw.txt", None)


def test_password_in_env_as_a_last_resort(tmp_path):
    found = tree(tmp_path, {"srcs/docker-compose.yml": "services: {}\n",
                            "srcs/.env": "WP_ADMIN_USER=chief\nWP_ADMIN_PASSWORD=oops\n"})
    assert found.account("admin").password == Secret(PROJECT + "/srcs/.env", "WP_ADMIN_PASSWORD")


def test_nothing_found_says_what_was_looked_for(tmp_path):
    found = tree(tmp_path, {"srcs/docker-compose.yml": "services: {}\n", "srcs/.env": "DOMAIN_NAME=x.42.fr\n"})
    admin, db = found.account("admin"), found.account("db")
    assert (admin.name, admin.password) == (None, None) and not admin.complete
    assert "no user name for the WordPress administrator: none of WP_ADMIN_USER" in admin.why
    assert "no password for the WordPress administrator: not in secrets/wp_admin_password.txt" in admin.why
    assert "no database name" in db.why and "no password for the database user" in db.why


def test_no_project_at_all(tmp_path):
    found = tree(tmp_path, {})
    assert found.compose is None and found.secret_files == []
    assert "srcs/docker-compose.yml" in found.account("user").why


@pytest.mark.parametrize("content, key, expected", [
    ("s3cr3t $HOME `id`\n", None, "s3cr3t $HOME `id`"),
    ("A=1\nWP_ADMIN_PASSWORD='p w $x'\nWP_ADMIN_PASSWORD=second\n", "WP_ADMIN_PASSWORD", "p w $x"),
    ("export WP_USER_PASSWORD=\"zz\"\n", "WP_USER_PASSWORD", "zz"),
    ("WP_ADMIN_PASSWORD_OLD=no\n  WP_ADMIN_PASSWORD = yes\n", "WP_ADMIN_PASSWORD", "yes"),
])
def test_secret_shell_prints_the_password(tmp_path, content, key, expected):
    path = tmp_path / "secret file.txt"
    path.write_text(content)
    out = subprocess.run(["sh", "-c", Secret(str(path), key).shell()], capture_output=True, text=True, check=True)
    assert out.stdout.rstrip("\n") == expected


def test_project_from_compose_ls():
    listing = ('[{"Name":"inception","Status":"running(3)","ConfigFiles":"/home/bob/Inception/srcs/docker-compose.yml"},'
               '{"Name":"other","Status":"exited(1)","ConfigFiles":"/opt/x/compose.yml,/opt/x/override.yml"}]')
    assert project_from_compose_ls(listing) == ["/home/bob/Inception"]
    assert project_from_compose_ls("not json") == []
