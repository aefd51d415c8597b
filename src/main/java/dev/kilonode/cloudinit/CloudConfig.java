package dev.kilonode.cloudinit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code #cloud-config} document built from typed parts and rendered by Jackson (never by string concatenation).
 * Only the modules kilonode uses: {@code write_files} and {@code runcmd}, plus package-update settings.
 */
public final class CloudConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));

    /** One file cloud-init writes before running commands. */
    public record WriteFile(String path, String permissions, String content) {
    }

    private final List<WriteFile> files = new ArrayList<>();
    private final List<List<String>> commands = new ArrayList<>();
    private final List<List<String>> mounts = new ArrayList<>();

    public CloudConfig file(String path, String permissions, String content) {
        files.add(new WriteFile(path, permissions, content));
        return this;
    }

    /** A command as an argument vector (cloud-init runs lists without a shell, so nothing needs quoting). */
    public CloudConfig run(String... argv) {
        commands.add(List.of(argv));
        return this;
    }

    /**
     * Tells cloud-init not to mount an instance-store device at /mnt (kilonode mounts the etcd SSDs itself).
     * cloud-init's mounts module: "to remove a previously listed mount, list only the fs_spec".
     */
    public CloudConfig unmount(String device) {
        mounts.add(List.of(device));
        return this;
    }

    public List<WriteFile> files() {
        return List.copyOf(files);
    }

    public String render() {
        Map<String, Object> doc = new LinkedHashMap<>();
        List<Map<String, Object>> writeFiles = new ArrayList<>();
        for (WriteFile f : files) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("path", f.path());
            entry.put("owner", "root:root");
            entry.put("permissions", f.permissions());
            entry.put("content", f.content());
            writeFiles.add(entry);
        }
        if (!mounts.isEmpty()) {
            doc.put("mounts", mounts);
        }
        doc.put("write_files", writeFiles);
        doc.put("runcmd", commands);
        // Logs of every step land on the console (EC2 "Get system log") for debugging without SSH.
        doc.put("output", Map.of("all", "| tee -a /var/log/cloud-init-output.log /dev/console"));
        try {
            return "#cloud-config\n" + YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render cloud-config", e);
        }
    }
}
