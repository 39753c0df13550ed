"""Bonus: each bonus service the stack's compose file declares, proven working (not
merely running). A service absent from the compose file is skipped, saying so; the
stack's own FTP, Redis and MariaDB clients run on the VM (its loopback, its network)."""

import json
import re
import time
import uuid

import pytest

import inception_rules
from stack import (BONUS, BONUS_WEB, EXPORTERS, compose_services, compose_states, bonus_url, curl_with_secret,
                   env_value, fetch, mariadb_query, project_networks_of, wait_until_healthy)

SECTION = "10. Bonus"
REDIS_CLI = 'REDISCLI_AUTH=$(cat /run/secrets/redis_password) exec redis-cli --no-auth-warning'


@pytest.fixture(scope="module")
def stack_services(host, site):
    return compose_services(host, site)


@pytest.fixture
def needs(stack_services):
    def check(name):
        if name not in stack_services:
            pytest.skip("bonus service %s is not in the stack's compose file (inception_bonus)" % name)
    return check


@pytest.fixture(scope="module")
def wp_root(host):
    """WordPress's directory in the wordpress container (/var/www/html here, elsewhere
    /var/www/wordpress and the like): the mount that holds wp-includes/version.php."""
    mounts = host.run("docker inspect -f '{{range .Mounts}}{{.Destination}} {{end}}' wordpress").stdout.split()
    found = host.run("docker exec wordpress sh -c %s",
                     "for d in %s; do [ -f \"$d/wp-includes/version.php\" ] && echo \"$d\" && break; done"
                     % " ".join(mounts)).stdout.split()
    assert found, "no WordPress among the wordpress container's mounts: %s" % mounts
    return found[0]


def redis(host, command):
    return host.run("docker exec redis sh -c %s", "%s %s" % (REDIS_CLI, command))


def redis_keys(host):
    out = redis(host, "--scan --pattern '*'")
    assert out.rc == 0, "redis-cli failed: %s" % out.stderr.strip()
    return out.stdout.split()


def counters(host):
    """MariaDB's Questions (every statement from every client) and Com_select (SELECTs)."""
    out = mariadb_query(host, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select')")
    assert out.rc == 0, out.stderr
    values = dict(line.split() for line in out.stdout.splitlines() if line.strip())
    return int(values["Questions"]), int(values["Com_select"])


def queries_for(host, url=None):
    """(statements, SELECTs) MariaDB counted around one request of url (None: no request,
    what reading the counters itself costs)."""
    questions, selects = counters(host)
    if url:
        page = fetch(host, url)
        assert page.rc == 0, page.stderr
    after_questions, after_selects = counters(host)
    return after_questions - questions, after_selects - selects


def status_of(host, argv):
    return host.run(" ".join(["curl", "-ksS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"] + argv)).stdout


# --------------------------------------------------------------------------- every bonus container
@pytest.mark.parametrize("service", BONUS + EXPORTERS)
def test_bonus_container_built_named_healthy_restarting_on_the_network(host, site, needs, service):
    needs(service if service not in EXPORTERS else "monitoring")
    if service == "redis-exporter":
        needs("redis")
    state = compose_states(host, site).get(service)
    assert state == ("running", "healthy"), "%s is %s" % (service, state)
    image = host.check_output("docker inspect -f '{{.Config.Image}}' %s", service)
    assert image.split(":")[0] == service and image.split(":")[1] not in ("", "latest"), image
    policy = host.check_output("docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' %s", service)
    assert policy in ("always", "unless-stopped", "on-failure"), "%s restart policy is %r" % (service, policy)
    networks = project_networks_of(host, service)
    assert networks and set(networks.values()) == {"project"}, \
        "%s is not on the inception network or another the project declares: %s" % (service, networks)
    os_release = host.run("docker exec %s cat /etc/os-release", service).stdout
    assert "VERSION_CODENAME=%s" % inception_rules.PENULTIMATE_DEBIAN in os_release, "%s is not on Debian %s" % (
        service, inception_rules.PENULTIMATE_DEBIAN)


def test_only_nginx_and_ftp_publish_ports(host, site, stack_services, figure):
    published = {}
    for line in host.check_output("docker ps --format '{{.Names}}\t{{.Ports}}'").splitlines():
        name, _, ports = line.partition("\t")
        found = sorted(set(re.findall(r":(\d+(?:-\d+)?)->(\d+(?:-\d+)?)/tcp", ports)))
        if found and name in stack_services:
            published[name] = found
    figure("Bonus published ports", ", ".join("%s %s" % (n, " ".join("%s->%s" % p for p in ports))
                                              for n, ports in sorted(published.items()) if n != "nginx") or "none")
    extra = {n: p for n, p in published.items() if n not in ("nginx", "ftp")}
    assert not extra, "services publishing ports besides nginx and ftp: %s" % extra
    if "ftp" in published:
        passive = env_value(host, site, "FTP_PASSIVE_PORTS")
        assert published["ftp"] == sorted({("21", "21"), (passive, passive)}), \
            "ftp publishes %s, expected 21 and %s only" % (published["ftp"], passive)


@pytest.mark.parametrize("service", BONUS + EXPORTERS)
def test_no_credential_in_bonus_container_inspect_output(host, site, needs, service):
    needs(service if service not in EXPORTERS else "monitoring")
    if service == "redis-exporter":
        needs("redis")
    with host.sudo():
        files = host.run("find %s/secrets -maxdepth 1 -name '*.txt' ! -name credentials.txt", site.project).stdout.split()
        values = [host.file(f).content_string.strip() for f in files]
    inspect = host.check_output("docker inspect %s", service)
    leaked = [f.rsplit("/", 1)[-1] for f, v in zip(files, values) if len(v) >= 8 and v in inspect]
    assert not leaked, "docker inspect %s shows %s" % (service, ", ".join(leaked))


@pytest.mark.parametrize("name", BONUS_WEB)
def test_bonus_subdomain_resolves_and_is_in_the_certificate(host, site, needs, name):
    needs(name)
    domain = "%s.%s" % (name, site.domain)
    entry = host.run("getent hosts %s", domain)
    assert entry.rc == 0, "%s does not resolve on the VM (vm_host_extra_hostnames)" % domain
    out = host.run("echo | openssl s_client -connect 127.0.0.1:%s -servername %s 2>/dev/null"
                   " | openssl x509 -noout -ext subjectAltName", str(site.https_port), domain)
    assert "DNS:%s" % domain in out.stdout, "the certificate does not name %s: %s" % (domain, out.stdout.strip())


# --------------------------------------------------------------------------- redis
def test_redis_holds_prefixed_wordpress_keys(host, site, needs, figure):
    needs("redis")
    for n in range(3):
        assert site.title in fetch(host, site.url + "?inception-redis=%d" % n).stdout
    db = env_value(host, site, "MYSQL_DATABASE")
    keys = redis_keys(host)
    ours = [k for k in keys if re.match(r"%s:wp_:(\d+|global):[\w-]+:" % re.escape(db), k)]
    figure("Redis keys after 3 page loads", "%d (e.g. %s)" % (len(ours), ", ".join(sorted(ours)[:3])))
    assert "%s:wp_:1:options:alloptions" % db in ours, "no WordPress options in Redis: %s" % keys[:10]


def test_redis_is_capped_lru_and_not_reachable_from_the_vm(host, needs):
    needs("redis")
    policy = redis(host, "config get maxmemory-policy").stdout.split()
    memory = redis(host, "config get maxmemory").stdout.split()
    assert policy[-1:] == ["allkeys-lru"], "maxmemory-policy is %s" % policy
    assert memory and int(memory[-1]) > 0, "no maxmemory: %s" % memory
    anonymous = host.run("docker exec redis redis-cli -h 127.0.0.1 get x")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr, "Redis answers without its password"
    addresses = ["127.0.0.1"] + host.check_output("hostname -I").split()
    reachable = [a for a in addresses if ":" not in a and host.run(
        "timeout 3 bash -c 'exec 3<>/dev/tcp/%s/6379'" % a).rc == 0]
    assert not reachable, "Redis's port 6379 answers on the VM at %s" % ", ".join(reachable)


def test_warm_front_page_makes_far_fewer_database_queries(host, site, needs, figure, wp_root):
    needs("redis")
    """The reads the cache is for are the SELECTs: they must fall by 90 % or more.
    Questions counts every command from every client, including those no object cache can
    save: wpdb's USE and Quit on every connection, and, with stock wpdb, SET NAMES twice and
    the sql_mode read and write. A stack with this project's wp-content/db.php and MariaDB
    settings spares the latter, so there Questions must fall by 90 % too; elsewhere it is a
    figure."""
    # A query string passes any page cache in nginx: PHP runs every time.
    cold, warm = [], []
    for _ in range(3):
        assert redis(host, "flushall").rc == 0
        cold.append(queries_for(host, site.url + "?inception-cold=%s" % uuid.uuid4().hex[:8]))
        warm.append(queries_for(host, site.url + "?inception-warm=%s" % uuid.uuid4().hex[:8]))
        warm.append(queries_for(host, site.url + "?inception-warm=%s" % uuid.uuid4().hex[:8]))
    reading = [queries_for(host) for _ in range(3)]
    # Other clients (healthchecks, the exporter) add to the counters: the least of each holds,
    # less what reading the counters costs.
    (base_questions, base_selects), (cold_questions, cold_selects), (warm_questions, warm_selects) = [
        (min(q for q, _ in samples), min(s for _, s in samples)) for samples in (reading, cold, warm)]
    cold_questions, warm_questions = cold_questions - base_questions, warm_questions - base_questions
    cold_selects, warm_selects = cold_selects - base_selects, warm_selects - base_selects

    def fewer(before, after):
        return 100.0 * (before - after) / before if before else 0.0
    figure("MariaDB Questions for the front page, cold -> warm cache", "%d -> %d (%.0f %% fewer)"
           % (cold_questions, warm_questions, fewer(cold_questions, warm_questions)))
    figure("MariaDB SELECTs for the front page, cold -> warm cache", "%d -> %d (%.0f %% fewer)"
           % (cold_selects, warm_selects, fewer(cold_selects, warm_selects)))
    assert cold_selects > 0, "a cold front page made no query: is the object cache measured at all?"
    assert fewer(cold_selects, warm_selects) >= 90, "a warm front page still makes %d SELECTs (cold %d)" % (
        warm_selects, cold_selects)
    ours = host.run("docker exec wordpress grep -qs Inception_DB %s/wp-content/db.php", wp_root).rc == 0
    if ours:
        assert fewer(cold_questions, warm_questions) >= 90, "a warm front page still costs %d Questions (cold %d)" % (
            warm_questions, cold_questions)


def test_object_cache_drop_in_is_ours_and_valid_php(host, needs, wp_root):
    needs("redis")
    lint = host.run("docker exec wordpress php -l %s/wp-content/object-cache.php", wp_root)
    assert lint.rc == 0, "object-cache.php: %s" % (lint.stdout + lint.stderr).strip()
    assert host.run("docker exec wordpress grep -q INCEPTION_OBJECT_CACHE %s/wp-content/object-cache.php", wp_root).rc == 0
    assert host.run("docker exec wordpress php -r 'exit(extension_loaded(\"redis\") ? 0 : 1);'").rc == 0, "no phpredis"


@pytest.mark.destructive
def test_front_page_survives_redis_down_and_the_cache_recovers(host, site, needs, figure):
    needs("redis")
    try:
        assert host.run("docker stop redis").rc == 0
        start = time.time()
        down = host.run("curl -ksS -o /tmp/inception-down.html -w '%%{http_code}' --max-time 30 %s",
                        site.url + "?inception-redis-down=1")
        seconds = time.time() - start
        page = host.run("cat /tmp/inception-down.html").stdout
    finally:
        host.run("docker start redis")
    figure("Front page with Redis stopped", "HTTP %s in %.1f s" % (down.stdout, seconds))
    assert down.stdout == "200" and site.title in page, "with Redis stopped the front page answered %s" % down.stdout
    assert "Fatal error" not in page
    assert wait_until_healthy(host, site, ("redis",), timeout=120)["redis"] == ("running", "healthy")
    fetch(host, site.url + "?inception-redis-back=1")
    assert any(":options:alloptions" in k for k in redis_keys(host)), "the cache did not fill again after Redis came back"


# --------------------------------------------------------------------------- ftp
def ftp_command(host, site, argv):
    user = env_value(host, site, "FTP_USER")
    with host.sudo():
        return host.run(curl_with_secret(user, site.secret_file("ftp_password"),
                                         ["-sS", "--max-time", "30"] + argv))


def test_ftp_plain_text_login_is_refused(host, site, needs):
    needs("ftp")
    out = ftp_command(host, site, ["ftp://127.0.0.1/"])
    assert out.rc != 0, "a plain-text FTP login was accepted: %s" % out.stdout[:200]
    assert out.rc in (67, 9, 10), "unexpected failure (curl exit %d): %s" % (out.rc, out.stderr.strip())


def test_ftps_login_lists_the_wordpress_files(host, site, needs, figure):
    needs("ftp")
    out = ftp_command(host, site, ["--ssl-reqd", "-k", "--list-only", "ftp://127.0.0.1/"])
    assert out.rc == 0, "FTPS login failed (curl exit %d): %s" % (out.rc, out.stderr.strip())
    names = out.stdout.split()
    figure("FTPS listing of /", " ".join(sorted(names)[:8]) + " ...")
    assert {"wp-config.php", "wp-content", "index.php"} <= set(names), "not the WordPress files: %s" % names


def test_file_uploaded_over_ftps_is_served_by_nginx(host, site, needs, wp_root):
    needs("ftp")
    name = "inception-ftp-%s.txt" % uuid.uuid4().hex[:8]
    marker = "uploaded over FTPS %s" % uuid.uuid4().hex
    host.run("printf %%s %s > /tmp/%s", marker, name)
    up = ftp_command(host, site, ["--ssl-reqd", "-k", "--ftp-create-dirs", "-T", "/tmp/" + name,
                                  "ftp://127.0.0.1/wp-content/uploads/inception-ftp/" + name])
    assert up.rc == 0, "FTPS upload failed (curl exit %d): %s" % (up.rc, up.stderr.strip())
    try:
        page = fetch(host, site.url + "wp-content/uploads/inception-ftp/" + name)
        owner = host.run("docker exec wordpress stat -c %%U %s/wp-content/uploads/inception-ftp/%s", wp_root, name)
    finally:
        ftp_command(host, site, ["--ssl-reqd", "-k", "-Q", "-DELE wp-content/uploads/inception-ftp/" + name,
                                 "ftp://127.0.0.1/"])
    assert page.stdout == marker, "nginx does not serve the uploaded file: %s" % page.stdout[:200]
    assert owner.stdout.strip() == "www-data", "the uploaded file belongs to %s, not WordPress's www-data" % owner.stdout


def test_ftp_account_cannot_download_wp_config_but_can_the_uploads(host, site, needs, figure):
    """wp-config.php holds the database password: it is root:wpconfig 0640 and the FTP account
    (uid/gid 33, www-data's ids, in no wpconfig group) must not download it, while it still
    uploads and downloads under wp-content/uploads (so the refusal is not a failed login)."""
    needs("ftp")
    name = "inception-ftp-%s.txt" % uuid.uuid4().hex[:8]
    host.run("printf %%s %s > /tmp/%s", name, name)
    path = "ftp://127.0.0.1/wp-content/uploads/inception-ftp/" + name
    up = ftp_command(host, site, ["--ssl-reqd", "-k", "--ftp-create-dirs", "-T", "/tmp/" + name, path])
    try:
        down = ftp_command(host, site, ["--ssl-reqd", "-k", "-o", "/dev/null", path])
        # -o /dev/null: what a readable wp-config.php would hold is never printed.
        config = ftp_command(host, site, ["--ssl-reqd", "-k", "-o", "/dev/null", "ftp://127.0.0.1/wp-config.php"])
    finally:
        ftp_command(host, site, ["--ssl-reqd", "-k", "-Q", "-DELE wp-content/uploads/inception-ftp/" + name,
                                 "ftp://127.0.0.1/"])
    figure("FTPS download of wp-config.php", "refused (curl exit %d)" % config.rc if config.rc else "ALLOWED")
    assert up.rc == 0, "FTPS upload under uploads failed (curl exit %d): %s" % (up.rc, up.stderr.strip())
    assert down.rc == 0, "FTPS download under uploads failed (curl exit %d): %s" % (down.rc, down.stderr.strip())
    assert config.rc != 0, "the FTP account downloaded wp-config.php (the database password)"


# --------------------------------------------------------------------------- website
def test_static_website_is_served_over_https(host, site, needs, figure):
    needs("website")
    page = fetch(host, bonus_url(site, "website"))
    assert page.rc == 0, page.stderr
    generator = re.search(r'<meta name="?generator"? content="?([^">]+)', page.stdout)
    figure("Website generator", generator.group(1) if generator else "none")
    assert generator and generator.group(1).startswith("Hugo"), "not the Hugo site: %s" % page.stdout[:200]
    assert "static site" in page.stdout


def test_website_image_has_no_php(host, needs):
    needs("website")
    found = host.run("docker exec website sh -c 'ls /usr/bin/php* /usr/sbin/php* /usr/lib/php 2>/dev/null'")
    assert not found.stdout.strip(), "php in the website image: %s" % found.stdout.split()


# --------------------------------------------------------------------------- adminer
def test_adminer_login_page_renders_over_https(host, site, needs):
    needs("adminer")
    page = fetch(host, bonus_url(site, "adminer"))
    assert "Login - Adminer" in page.stdout and 'name="auth[password]"' in page.stdout, page.stdout[:300]


def test_adminer_login_with_the_app_user_lists_wordpress_tables(host, site, needs, browser, figure):
    needs("adminer")
    user, db = env_value(host, site, "MYSQL_USER"), env_value(host, site, "MYSQL_DATABASE")
    browser.request(bonus_url(site, "adminer"))
    login = browser.request(bonus_url(site, "adminer"), data=[
        ("auth[driver]", "server"), ("auth[server]", "mariadb"), ("auth[username]", user), ("auth[db]", db)],
        secret=("auth[password]", site.secret_file("db_password")))
    assert login.status == 302, "Adminer did not accept the login (HTTP %d): %s" % (
        login.status, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", login.body))[:300])
    tables = browser.request(bonus_url(site, "adminer", "?server=mariadb&username=%s&db=%s" % (user, db)))
    found = sorted(set(re.findall(r"\bwp_[a-z_]+\b", tables.body)))
    figure("Tables Adminer lists", ", ".join(found))
    assert {"wp_posts", "wp_users", "wp_options"} <= set(found), "Adminer lists %s" % found


# --------------------------------------------------------------------------- monitoring
def prometheus(host, site, path):
    with host.sudo():
        out = host.run(curl_with_secret("monitoring", site.secret_file("monitoring_password"),
                                        ["-ksS", "--max-time", "20", bonus_url(site, "monitoring", path)]))
    assert out.rc == 0, out.stderr
    try:
        return json.loads(out.stdout)
    except ValueError:
        raise AssertionError("%s answered: %s" % (path, out.stdout[:200]))


def test_monitoring_refuses_unauthenticated_and_wrong_passwords(host, site, needs):
    needs("monitoring")
    url = bonus_url(site, "monitoring", "api/v1/targets")
    assert status_of(host, [url]) == "401", "the monitoring UI answers without authentication"
    assert status_of(host, ["-u", "monitoring:wrong-password-42", url]) == "401", "a wrong password is accepted"


def test_every_scrape_target_is_up(host, site, needs, figure):
    needs("monitoring")
    deadline, targets = time.time() + 90, []
    while time.time() < deadline:
        targets = prometheus(host, site, "api/v1/targets")["data"]["activeTargets"]
        if targets and all(t["health"] == "up" for t in targets):
            break
        time.sleep(3)
    figure("Prometheus targets", ", ".join("%s %s" % (t["labels"]["job"], t["health"]) for t in targets))
    jobs = {t["labels"]["job"] for t in targets}
    assert {"node", "nginx", "mariadb"} <= jobs, "missing exporters: %s" % sorted(jobs)
    down = ["%s: %s" % (t["labels"]["job"], t.get("lastError")) for t in targets if t["health"] != "up"]
    assert not down, "targets not up: %s" % down


def test_nginx_request_counter_grows(host, site, needs, figure):
    needs("monitoring")

    def counter():
        result = prometheus(host, site, "api/v1/query?query=nginx_http_requests_total")["data"]["result"]
        assert result, "no nginx_http_requests_total in Prometheus"
        return float(result[0]["value"][1])
    before = counter()
    for _ in range(20):
        fetch(host, site.url)
    deadline, after = time.time() + 60, before
    while time.time() < deadline and after < before + 20:
        time.sleep(3)
        after = counter()
    figure("nginx_http_requests_total", "%d -> %d after 20 requests" % (before, after))
    assert after >= before + 20, "the nginx counter went from %d to %d after 20 requests" % (before, after)
