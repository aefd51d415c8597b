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
        config.put("kilonode:tfTag", "R2011.L2");
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(InstancesFile.render(Stacks.spec("scale", config)));
        assertThat(doc.get("instances").size()).isEqualTo(3);
        JsonNode first = doc.at("/instances/tf-controller-0");
        assertThat(first.get("ip").asText()).isEqualTo("10.0.0.10");
        assertThat(first.get("provider").asText()).isEqualTo("bms");
        assertThat(first.get("roles").fieldNames()).toIterable()
                .containsExactly("config_database", "config", "control", "analytics", "webui");
        JsonNode c = doc.get("contrail_configuration");
        assertThat(c.get("CONTROLLER_NODES").asText()).isEqualTo("10.0.0.10,10.0.32.11,10.0.64.12");
        assertThat(c.get("CONTRAIL_CONTAINER_TAG").asText()).isEqualTo("R2011.L2");
        assertThat(c.get("JVM_EXTRA_OPTS").asText()).isEqualTo("-Xms128m -Xmx1g");
        assertThat(c.get("CONTAINER_REGISTRY").asText()).isEqualTo("tungstenfabric");
        assertThat(doc.at("/provider_config/bms/ssh_user").asText()).isEqualTo("root");
    }

    @Test
    void controllerUserDataInstallsFromTheRenderedFile() {
        String ud = TungstenFabricController.userData(Stacks.spec("dev", Stacks.config("dev")), 0);
        assertThat(ud).contains("path: /etc/kilonode/tf/instances.yaml", "TF_CONTROLLER_IPS=10.0.0.10",
                "/opt/kilonode/install-tf-controller.sh");
    }
}
