"""What the evaluation suite's tests share: the stack under test and how to query it."""

from collections import namedtuple


class Site(namedtuple("Site", "login domain project https_port title")):
    """The Inception stack under test."""

    @property
    def url(self):
        port = "" if self.https_port == 443 else ":%d" % self.https_port
        return "https://%s%s/" % (self.domain, port)

    @property
    def compose(self):
        return "docker compose -f %s/srcs/docker-compose.yml" % self.project

    @property
    def data_dir(self):
        return "/home/%s/data" % self.login


# Reads the app user's password inside the container; the SQL comes on stdin, so
# nothing needs quoting twice and the password never appears on a command line.
_MARIADB = 'MYSQL_PWD=$(cat /run/secrets/db_password) exec mariadb -u"$MYSQL_USER" -N "$MYSQL_DATABASE"'


def mariadb_query(host, sql):
    return host.run("printf '%%s\\n' %s | docker exec -i mariadb sh -c %s", sql, _MARIADB)


def fetch(host, url):
    return host.run("curl -ksS --max-time 20 %s", url)
