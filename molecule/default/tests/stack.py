"""What the default scenario's tests share: names of the converged site and how to query it."""

LOGIN = "marvin"
DOMAIN = "marvin.42.fr"
PROJECT = "/home/%s/inception" % LOGIN

# Reads the app user's password inside the container; the SQL comes on stdin, so
# nothing needs quoting twice and the password never appears on a command line.
_MARIADB = "MYSQL_PWD=$(cat /run/secrets/db_password) exec mariadb -uwpuser -N wordpress"


def mariadb_query(host, sql):
    return host.run("printf '%%s\\n' %s | docker exec -i mariadb sh -c %s", sql, _MARIADB)


def fetch(host, url):
    return host.run("curl -ksS --max-time 20 %s", url)
