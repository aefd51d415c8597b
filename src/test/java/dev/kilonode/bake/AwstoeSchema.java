package dev.kilonode.bake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A model of what Image Builder accepts as an AWSTOE component document, written from AWS's documentation (AWSTOE
 * cannot run here):
 * <ul>
 * <li>EC2 Image Builder user guide, "Use the AWSTOE component document framework for custom components"
 *     (docs.aws.amazon.com/imagebuilder/latest/userguide/toe-use-documents.html): a YAML document with
 *     {@code name}, {@code description}, {@code schemaVersion} (1.0), {@code parameters}/{@code constants} and
 *     {@code phases}; "Each phase name must be unique within a document"; it "must include at least one of" build,
 *     validate, test; phases run in document order; a step has {@code name}, {@code action}, {@code inputs} and the
 *     optional {@code onFailure} (Abort, Continue, Ignore), {@code maxAttempts}, {@code timeoutSeconds}, {@code if},
 *     {@code loop}.</li>
 * <li>"Action modules supported by AWSTOE component manager" (toe-action-modules.html): ExecuteBash takes
 *     {@code commands}, a list run as one bash file whose exit code is the step's; Reboot takes an optional
 *     {@code delaySeconds}.</li>
 * <li>Image Builder API reference, CreateComponent: inline {@code data} is 1 to 16,000 characters.</li>
 * </ul>
 * Stricter than AWSTOE where the documents are vague: step names must be unique in their phase and made of letters,
 * digits and underscores; only the two action modules kilonode uses are known.
 */
final class AwstoeSchema {

    static final Set<String> TOP_LEVEL = Set.of("name", "description", "schemaVersion", "parameters", "constants", "phases");
    static final Set<String> AMI_PHASES = Set.of("build", "validate", "test");
    static final Set<String> STEP_KEYS = Set.of("name", "action", "inputs", "onFailure", "maxAttempts", "timeoutSeconds",
            "if", "loop", "description");
    static final Set<String> ON_FAILURE = Set.of("Abort", "Continue", "Ignore");
    static final int MAX_INLINE_CHARS = 16_000;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private AwstoeSchema() {
    }

    /** Every rule the document breaks; empty when Image Builder would accept it. */
    static List<String> problems(String document) {
        List<String> out = new ArrayList<>();
        if (document.isEmpty() || document.length() > MAX_INLINE_CHARS) {
            out.add("inline data is " + document.length() + " characters; CreateComponent takes 1 to " + MAX_INLINE_CHARS);
        }
        JsonNode doc;
        try {
            doc = YAML.readTree(document);
        } catch (IOException e) {
            out.add("not YAML: " + e.getMessage());
            return out;
        }
        if (doc == null || !doc.isObject()) {
            out.add("the document is not a mapping");
            return out;
        }
        doc.fieldNames().forEachRemaining(k -> {
            if (!TOP_LEVEL.contains(k)) {
                out.add("unknown top-level key " + k);
            }
        });
        JsonNode version = doc.get("schemaVersion");
        if (version == null || !version.asText().equals("1.0")) {
            out.add("schemaVersion must be 1.0, is " + version);
        }
        JsonNode phases = doc.get("phases");
        if (phases == null || !phases.isArray() || phases.isEmpty()) {
            out.add("phases must be a non-empty list");
            return out;
        }
        Set<String> phaseNames = new HashSet<>();
        for (JsonNode phase : phases) {
            String name = phase.path("name").asText("");
            if (!AMI_PHASES.contains(name)) {
                out.add("phase " + name + " is not one of " + AMI_PHASES);
            }
            if (!phaseNames.add(name)) {
                out.add("phase " + name + " appears twice");
            }
            JsonNode steps = phase.get("steps");
            if (steps == null || !steps.isArray() || steps.isEmpty()) {
                out.add("phase " + name + " has no steps");
                continue;
            }
            Set<String> stepNames = new HashSet<>();
            for (JsonNode step : steps) {
                out.addAll(stepProblems(name, step, stepNames));
            }
        }
        return out;
    }

    private static List<String> stepProblems(String phase, JsonNode step, Set<String> names) {
        List<String> out = new ArrayList<>();
        String name = step.path("name").asText("");
        String where = phase + "/" + name;
        if (!name.matches("[A-Za-z0-9_]{1,128}")) {
            out.add(where + ": step name must be letters, digits, underscores");
        }
        if (!names.add(name)) {
            out.add(where + ": step name appears twice in the phase");
        }
        step.fieldNames().forEachRemaining(k -> {
            if (!STEP_KEYS.contains(k)) {
                out.add(where + ": unknown step key " + k);
            }
        });
        if (step.has("onFailure") && !ON_FAILURE.contains(step.get("onFailure").asText())) {
            out.add(where + ": onFailure must be one of " + ON_FAILURE);
        }
        if (step.has("maxAttempts") && (!step.get("maxAttempts").canConvertToInt() || step.get("maxAttempts").asInt() < 1)) {
            out.add(where + ": maxAttempts must be a positive integer");
        }
        if (step.has("timeoutSeconds") && !step.get("timeoutSeconds").canConvertToInt()) {
            out.add(where + ": timeoutSeconds must be an integer");
        }
        JsonNode inputs = step.get("inputs");
        switch (step.path("action").asText("")) {
            case "ExecuteBash" -> {
                JsonNode commands = inputs == null ? null : inputs.get("commands");
                if (commands == null || !commands.isArray() || commands.isEmpty()) {
                    out.add(where + ": ExecuteBash needs inputs.commands, a non-empty list");
                } else {
                    commands.forEach(c -> {
                        if (!c.isTextual()) {
                            out.add(where + ": every command is a string");
                        }
                    });
                }
            }
            case "Reboot" -> {
                if (inputs != null && (!inputs.isObject() || inputs.size() > 1
                        || (inputs.size() == 1 && !inputs.path("delaySeconds").canConvertToInt()))) {
                    out.add(where + ": Reboot takes only inputs.delaySeconds (an integer)");
                }
            }
            default -> out.add(where + ": action " + step.path("action").asText("(none)") + " is not a modelled action module");
        }
        return out;
    }

    /** The ExecuteBash command blocks, in document order. */
    static List<String> bashCommands(String document) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode phase : YAML.readTree(document).get("phases")) {
            for (JsonNode step : phase.get("steps")) {
                if (step.path("action").asText().equals("ExecuteBash")) {
                    step.path("inputs").path("commands").forEach(c -> out.add(c.asText()));
                }
            }
        }
        return out;
    }

    static JsonNode parse(String document) throws IOException {
        return YAML.readTree(document);
    }
}
