"""The base role: time, SSH keys only, updates, journal, administrators."""

import pytest

SSH = (
    "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
    "-o ConnectTimeout=5 {opts} {user}@127.0.0.1 {cmd}"
)


def test_chrony_runs_with_the_configured_servers(host):
    assert host.service("chrony").is_running
    assert host.service("chrony").is_enabled
    sources = host.check_output("chronyc -n sources")
    assert "192.0.2.10" in sources and "192.0.2.11" in sources


def test_chrony_never_sets_the_clock_in_a_container(host):
    assert "-x" in host.file("/etc/default/chrony").content_string
    assert " -x" in host.check_output("ps -o args= -C chronyd")


@pytest.mark.parametrize(
    "key,value",
    [
        ("passwordauthentication", "no"),
        ("kbdinteractiveauthentication", "no"),
        ("permitrootlogin", "no"),
        ("pubkeyauthentication", "yes"),
        ("authenticationmethods", "publickey"),
        ("x11forwarding", "no"),
    ],
)
def test_sshd_effective_settings(host, key, value):
    effective = host.check_output("sshd -T")
    assert f"{key} {value}" in effective.splitlines()


def test_admin_logs_in_with_key_and_reads_the_journal_but_has_no_sudo(host):
    """Separation of duties: administrators operate, they cannot become root
    (root reads the footage); the journal is theirs to read."""
    ssh = SSH.format(opts="-i /root/test-admin-key", user="alice", cmd="{}")
    assert host.check_output(ssh.format("id -un")).strip() == "alice"
    host.run("logger vigie-molecule-admin-journal-probe")
    assert "vigie-molecule-admin-journal-probe" in host.check_output(
        ssh.format("journalctl --no-pager -n 200")
    )
    sudo = host.run(ssh.format("sudo -n true"))
    assert sudo.rc != 0 and "password is required" in sudo.stderr, sudo.stderr
    listed = host.run(ssh.format("sudo -n -l"))
    assert listed.rc != 0
    assert not host.file("/etc/sudoers.d/vigie-admins").exists


def test_the_automation_deploys_through_its_own_account(host):
    cmd = SSH.format(opts="-i /root/test-deploy-key", user="vigie-deploy", cmd="sudo -n id -un")
    assert host.check_output(cmd).strip() == "root"
    assert host.user("vigie-deploy").password == "!"
    assert "vigie-admins" not in host.user("vigie-deploy").groups
    sudoers = host.file("/etc/sudoers.d/vigie-deploy")
    assert sudoers.mode == 0o440 and "vigie-deploy ALL=(ALL:ALL) NOPASSWD: ALL" in (
        sudoers.content_string
    )
    # The administrator's key does not open the deploy account.
    other = host.run(SSH.format(opts="-i /root/test-admin-key", user="vigie-deploy", cmd="true"))
    assert other.rc != 0


def test_passwords_are_refused(host):
    # Only publickey is offered, so a password client has no way in.
    result = host.run(
        SSH.format(
            opts="-o PreferredAuthentications=password,keyboard-interactive",
            user="alice",
            cmd="true",
        )
    )
    assert result.rc != 0
    assert "Permission denied (publickey)" in result.stderr


def test_root_cannot_log_in_even_with_a_key(host):
    host.run("install -d -m 0700 /root/.ssh")
    host.run("cp /root/test-admin-key.pub /root/.ssh/authorized_keys")
    try:
        result = host.run(SSH.format(opts="-i /root/test-admin-key", user="root", cmd="true"))
        assert result.rc != 0
    finally:
        host.run("rm -f /root/.ssh/authorized_keys")


def test_admin_password_is_locked(host):
    assert host.user("alice").password == "!"
    assert {"vigie-admins", "systemd-journal"} <= set(host.user("alice").groups)
    assert not host.user("mallory").exists


def test_unattended_upgrades_enabled(host):
    assert host.package("unattended-upgrades").is_installed
    dump = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert host.service("apt-daily-upgrade.timer").is_enabled


def test_journal_is_persistent(host):
    host.run("logger vigie-molecule-persistence-probe")
    header = host.check_output("journalctl --header")
    assert "/var/log/journal/" in header
