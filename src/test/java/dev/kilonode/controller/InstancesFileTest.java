package dev.kilonode.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InstancesFileTest {

    @Test
    void threeControllersFormOneClusterWithTheReportsRolesAndOptions() throws Exception {
        var config = Stacks.config("scale");
        config.put("kilonode:controllerCount", "3");
        config.put("kilonode:tfTag", "R25.1-2026-06-16");
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(InstancesFile.render(Stacks.spec("scale", config)));
        assertThat(doc.get("instances").size()).isEqualTo(3);
        JsonNode first = doc.at("/instances/tf-controller-0");
        assertThat(first.get("ip").asText()).isEqualTo("10.0.0.10");
        assertThat(first.get("provider").asText()).isEqualTo("bms");
        assertThat(first.get("roles").fieldNames()).toIterable()
                .containsExactly("config_database", "config", "control", "analytics", "webui");
        JsonNode c = doc.get("contrail_configuration");
        assertThat(c.get("CONTROLLER_NODES").asText()).isEqualTo("10.0.0.10,10.0.32.11,10.0.64.12");
        assertThat(c.get("CONTRAIL_CONTAINER_TAG").asText()).isEqualTo("R25.1-2026-06-16");
        assertThat(c.get("JVM_EXTRA_OPTS").asText()).isEqualTo("-Xms128m -Xmx1g");
        // The deployer reads the registry only from global_configuration (set_global_variables.yml).
        assertThat(doc.at("/global_configuration/CONTAINER_REGISTRY").asText()).isEqualTo("opensdn");
        assertThat(c.has("CONTAINER_REGISTRY")).isFalse();
        assertThat(doc.at("/provider_config/bms/domainsuffix").asText()).isEqualTo("ec2.internal");
        assertThat(doc.at("/provider_config/bms/ssh_user").asText()).isEqualTo("root");
    }

    @Test
    void domainSuffixFollowsTheRegion() throws Exception {
        var config = Stacks.config("dev");
        config.put("kilonode:region", "eu-west-1");
        config.put("kilonode:availabilityZones", "[\"eu-west-1a\",\"eu-west-1b\"]");
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(InstancesFile.render(Stacks.spec("dev", config)));
        assertThat(doc.at("/provider_config/bms/domainsuffix").asText()).isEqualTo("eu-west-1.compute.internal");
    }

    @Test
    void controllerUserDataInstallsFromTheRenderedFile() {
        String ud = TungstenFabricController.userData(Stacks.spec("dev", Stacks.config("dev")), 0);
        assertThat(ud).contains("path: /etc/kilonode/tf/instances.yaml", "TF_CONTROLLER_IPS=10.0.0.10",
                "/opt/kilonode/install-tf-controller.sh");
    }
}
