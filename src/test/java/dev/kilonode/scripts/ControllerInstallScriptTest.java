package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * components/TungstenFabricController/install-tf-controller.sh against stub apt/dpkg/git/virtualenv/ansible: the
 * release's deployer commit and playbooks, Ansible in a virtualenv at the release's pins, and a loud failure when
 * the deployer removes a package the OS needs.
 */
class ControllerInstallScriptTest {
  static final String SCRIPT = "TungstenFabricController/install-tf-controller.sh";
  static final NetworkRelease ROW = NetworkReleases.table().defaultRow();

  @TempDir Path tmp;
  ScriptHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    Path instances = tmp.resolve("instances.yaml");
    Files.writeString(instances, "instances: {}\n");
    h.env("KILONODE_STACK", "dev").env("KILONODE_REGION", "us-east-1")
        .env("TF_CONTROLLER_INDEX", "0").env("TF_CONTROLLER_IPS", "10.0.0.10")
        .env("TF_DEPLOYER_REPO", ROW.deployer().repo()).env("TF_DEPLOYER_REF", ROW.deployer().ref())
        .env("TF_DEPLOYER_PLAYBOOKS", String.join(",", ROW.deployer().playbooks()))
        .env("TF_ANSIBLE_MIN", ROW.ansible().minVersion()).env("TF_ANSIBLE_BELOW", ROW.ansible().belowVersion()).env("TF_JINJA2_VERSION", ROW.ansible().jinja2());
    h.processEnv("KILONODE_TF_INSTANCES", instances.toString())
        .processEnv("KILONODE_TF_DEPLOYER_DIR", tmp.resolve("deployer").toString())
        .processEnv("KILONODE_ANSIBLE_VENV", tmp.resolve("venv").toString())
        .processEnv("KILONODE_SYSTEM_PYTHON", tmp.resolve("bin/system-python").toString())
        .processEnv("KILONODE_SSH_DIR", tmp.resolve("ssh").toString())
        .processEnv("DEPLOYER_REF", ROW.deployer().ref());
    h.stub("apt-get", "exit 0");
    // dpkg-query: every package installed unless the deployer stub left a "purged" list behind.
    h.stub("dpkg-query", "pkg=${*: -1}; grep -qx \"$pkg\" \"$KILONODE_TEST_ROOT/purged\" 2>/dev/null && exit 1;"
        + " printf 'install ok installed'");
    h.stub("system-python", "[ -f \"$KILONODE_TEST_ROOT/purged\" ] && exit 1; exit 0");
    h.stub("virtualenv", """
        mkdir -p "$2/bin"
        for t in pip ansible ansible-playbook; do
          printf '#!/usr/bin/env bash\\nprintf "%%s\\\\n" "venv-%s $*" >> "$KILONODE_TEST_CALLS"\\n%s\\n' "$t" \
            "$( [ "$t" = ansible-playbook ] && echo '[ -n "${DEPLOYER_PURGES:-}" ] && echo python3-yaml > "$KILONODE_TEST_ROOT/purged"; exit 0' || echo 'echo ansible [core 2.16.14]')" \
            > "$2/bin/$t"
          chmod +x "$2/bin/$t"
        done
        """);
    h.stub("git", """
        case "$*" in
          clone*) d=${*: -1}; mkdir -p "$d/.git" "$d/playbooks" "$d/config"
                  touch "$d/playbooks/configure_instances.yml" "$d/playbooks/install_opensdn.yml" ;;
          *rev-parse*) echo "$DEPLOYER_REF" ;;
        esac
        exit 0
        """);
    h.stub("ssh-keygen", """
        case "$*" in
          *-F*) exit 1 ;;
          *) f=${*: -1}; echo key > "$f"; echo "ssh-rsa AAAA kilonode" > "$f.pub" ;;
        esac
        """);
    h.stub("ssh-keyscan", "echo '|1|host ssh-ed25519 AAAA'");
  }

  @Test
  void installsAnsibleInAVirtualenvAtTheReleasePinsAndRunsTheReleasePlaybooks() throws Exception {
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("venv-pip")).singleElement().asString()
        .contains(ROW.ansible().pip(), "jinja2==" + ROW.ansible().jinja2());
    assertThat(h.calls("pip3")).isEmpty();
    assertThat(h.calls("git")).anySatisfy(c -> assertThat(c).contains("fetch -q origin " + ROW.deployer().ref()));
    assertThat(h.calls("venv-ansible-playbook")).hasSize(2);
    assertThat(h.calls("venv-ansible-playbook").get(0)).endsWith("playbooks/configure_instances.yml");
    assertThat(h.calls("venv-ansible-playbook").get(1)).endsWith("playbooks/install_opensdn.yml")
        .contains("--limit localhost,10.0.0.10");
    assertThat(tmp.resolve("state/tf-controller-installed")).exists();
  }

  @Test
  void failsLoudlyWhenTheDeployerRemovesAPackageTheOsNeeds() throws Exception {
    h.processEnv("DEPLOYER_PURGES", "1");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("python3-yaml").contains("removed packages the OS needs");
    assertThat(h.calls("venv-ansible-playbook")).hasSize(1);
    assertThat(tmp.resolve("state/tf-controller-installed")).doesNotExist();
  }

  @Test
  void refusesACheckoutThatIsNotThePinnedCommit() throws Exception {
    h.processEnv("DEPLOYER_REF", "0000000000000000000000000000000000000000");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("expected the pinned commit " + ROW.deployer().ref());
    assertThat(h.calls("venv-ansible-playbook")).isEmpty();
  }
}
