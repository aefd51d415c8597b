package dev.kilonode.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kilonode.config.ClusterSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenSDN ansible deployer's {@code config/instances.yaml}, rendered from config instead of hand-edited
 * (report 000): a bms instance per controller with the roles the report gave it (config database, config, control,
 * analytics, web UI), the registry and tag, the JVM options, and every controller's address so three form one cluster.
 * The registry goes to {@code global_configuration.CONTAINER_REGISTRY}: the only place the deployer reads it
 * (tf-ansible-deployer R25.1 playbooks/roles/opensdn_deployer/tasks/set_global_variables.yml; anywhere else it silently
 * pulls from its default). The tag goes to {@code contrail_configuration.CONTRAIL_CONTAINER_TAG} (same file).
 */
public final class InstancesFile {

    public static final String PATH = "/etc/kilonode/tf/instances.yaml";
    static final List<String> ROLES = List.of("config_database", "config", "control", "analytics", "webui");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

    private InstancesFile() {
    }

    /**
     * The private DNS suffix of EC2 hostnames: ec2.internal in us-east-1 only, region.compute.internal elsewhere
     * (EC2 User Guide, "Amazon EC2 instance hostname types").
     */
    static String domainSuffix(String region) {
        return "us-east-1".equals(region) ? "ec2.internal" : region + ".compute.internal";
    }

    public static String render(ClusterSpec spec) {
        Map<String, Object> bms = new LinkedHashMap<>();
        bms.put("ssh_user", "root");
        bms.put("ssh_public_key", "/root/.ssh/id_rsa.pub");
        bms.put("ssh_private_key", "/root/.ssh/id_rsa");
        bms.put("domainsuffix", domainSuffix(spec.region()));
        // Amazon Time Sync Service, reachable from every instance (EC2 docs, "Set the time for your instance").
        bms.put("ntpserver", "169.254.169.123");

        Map<String, Object> instances = new LinkedHashMap<>();
        List<String> ips = spec.controllerIps();
        for (int i = 0; i < ips.size(); i++) {
            Map<String, Object> roles = new LinkedHashMap<>();
            ROLES.forEach(r -> roles.put(r, null));
            Map<String, Object> instance = new LinkedHashMap<>();
            instance.put("provider", "bms");
            instance.put("ip", ips.get(i));
            instance.put("roles", roles);
            instances.put("tf-controller-" + i, instance);
        }

        String nodes = String.join(",", ips);
        Map<String, Object> contrail = new LinkedHashMap<>();
        contrail.put("CONTRAIL_VERSION", spec.tungstenFabric().tag());
        contrail.put("CONTRAIL_CONTAINER_TAG", spec.tungstenFabric().tag());
        contrail.put("CLOUD_ORCHESTRATOR", "kubernetes");
        contrail.put("KUBERNETES_CLUSTER_PROJECT", Map.of());
        contrail.put("JVM_EXTRA_OPTS", spec.tungstenFabric().jvmExtraOpts());
        contrail.put("CONTROLLER_NODES", nodes);
        contrail.put("CONTROL_NODES", nodes);
        contrail.put("ENCAP_PRIORITY", spec.tungstenFabric().release().overlay().encapPriority());
        contrail.put("LOG_LEVEL", "SYS_NOTICE");

        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("provider_config", Map.of("bms", bms));
        doc.put("instances", instances);
        doc.put("contrail_configuration", contrail);
        // The stack's mirror: the deployer's templates pull {{ container_registry }}/<name>:{{ contrail_container_tag }}
        // (tf-ansible-deployer@55454cb8 playbooks/roles/opensdn_*/templates), by tag: the stack's ECR tags are
        // IMMUTABLE (images.ImageSupply), so the tag names the bytes whose digest the lock records. Registry login:
        // install-tf-controller.sh adds CONTAINER_REGISTRY_USERNAME/PASSWORD (playbooks/roles/docker/tasks/main.yml)
        // to the deployer's copy at boot, never to this rendered file.
        doc.put("global_configuration", Map.of("CONTAINER_REGISTRY",
                spec.images().repositoryBase().orElse(spec.tungstenFabric().registry())));
        try {
            return YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
