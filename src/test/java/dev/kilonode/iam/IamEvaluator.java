package dev.kilonode.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small model of AWS policy evaluation, enough to prove who can read the cluster's secrets: the rules of the IAM
 * user guide's "Policy evaluation logic" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
 * for one account: an explicit Deny in any applicable policy wins; otherwise an Allow is needed. For KMS, the key
 * policy is the root of access (docs.aws.amazon.com/kms/latest/developerguide/key-policies.html): a key policy Allow
 * naming the principal grants by itself; an Allow naming the account root lets IAM policies grant.
 *
 * <p>Supported: Action/NotAction-free statements with Action and Resource as string or list, '*' and '?' wildcards
 * (actions case-insensitive), Principal {"AWS": arn|"*"}, conditions StringEquals, StringNotEquals, StringLike
 * (operators ANDed, values of one key ORed; a missing key fails StringEquals/StringLike and satisfies
 * StringNotEquals, as in AWS). Anything else in a policy fails the evaluation instead of being ignored.
 */
public final class IamEvaluator {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Who asks: the role's ARN and the tags on the role (aws:PrincipalTag/...). */
    public record Principal(String arn, Map<String, String> tags) {

        String account() {
            return arn.split(":")[4];
        }
    }

    /** One request: action on resource, with extra request context (e.g. kms:ViaService). */
    public record Request(Principal principal, String action, String resource, Map<String, String> context) {
    }

    public enum Decision { ALLOW, IMPLICIT_DENY, EXPLICIT_DENY }

    private IamEvaluator() {
    }

    public static List<JsonNode> parse(List<String> documents) {
        List<JsonNode> out = new ArrayList<>();
        for (String d : documents) {
            try {
                out.add(JSON.readTree(d));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Identity-based policies only (an action on a resource without a resource policy, e.g. ssm:GetParameter). */
    public static Decision identity(List<JsonNode> identityPolicies, Request request) {
        boolean allowed = false;
        for (JsonNode policy : identityPolicies) {
            for (JsonNode st : statements(policy)) {
                if (st.has("Principal")) {
                    throw new IllegalArgumentException("identity policy with Principal: " + st);
                }
                if (!applies(st, request)) {
                    continue;
                }
                if (isDeny(st)) {
                    return Decision.EXPLICIT_DENY;
                }
                allowed = true;
            }
        }
        return allowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
    }

    /** A KMS request: the key policy and the principal's identity policies together. */
    public static Decision kms(JsonNode keyPolicy, List<JsonNode> identityPolicies, Request request) {
        Decision id = identity(identityPolicies, request);
        if (id == Decision.EXPLICIT_DENY) {
            return id;
        }
        boolean direct = false;
        boolean viaIam = false;
        for (JsonNode st : statements(keyPolicy)) {
            if (!applies(st, request)) {
                continue;
            }
            List<String> principals = strings(st.path("Principal").path("AWS"));
            if (principals.isEmpty()) {
                throw new IllegalArgumentException("key policy statement without an AWS principal: " + st);
            }
            String root = "arn:aws:iam::" + request.principal().account() + ":root";
            boolean namesCaller = principals.contains("*") || principals.contains(request.principal().arn());
            boolean namesAccount = principals.contains(root);
            if (!namesCaller && !namesAccount) {
                continue;
            }
            if (isDeny(st)) {
                return Decision.EXPLICIT_DENY;
            }
            direct |= namesCaller;
            viaIam |= namesAccount;
        }
        if (direct || (viaIam && id == Decision.ALLOW)) {
            return Decision.ALLOW;
        }
        return Decision.IMPLICIT_DENY;
    }

    private static boolean isDeny(JsonNode st) {
        String effect = st.path("Effect").asText();
        if (!effect.equals("Allow") && !effect.equals("Deny")) {
            throw new IllegalArgumentException("Effect " + effect);
        }
        return effect.equals("Deny");
    }

    private static List<JsonNode> statements(JsonNode policy) {
        JsonNode s = policy.path("Statement");
        List<JsonNode> out = new ArrayList<>();
        if (s.isArray()) {
            s.forEach(out::add);
        } else if (s.isObject()) {
            out.add(s);
        } else {
            throw new IllegalArgumentException("policy without statements: " + policy);
        }
        return out;
    }

    private static boolean applies(JsonNode st, Request r) {
        for (String unsupported : List.of("NotAction", "NotResource", "NotPrincipal")) {
            if (st.has(unsupported)) {
                throw new IllegalArgumentException(unsupported + " is not modelled: " + st);
            }
        }
        boolean action = strings(st.path("Action")).stream().anyMatch(a -> glob(a, r.action(), true));
        boolean resource = strings(st.path("Resource")).stream().anyMatch(p -> glob(p, r.resource(), false));
        return action && resource && conditions(st.path("Condition"), r);
    }

    private static boolean conditions(JsonNode condition, Request r) {
        if (condition.isMissingNode()) {
            return true;
        }
        var ops = condition.fields();
        while (ops.hasNext()) {
            var op = ops.next();
            var keys = op.getValue().fields();
            while (keys.hasNext()) {
                var key = keys.next();
                String actual = contextValue(r, key.getKey());
                List<String> values = strings(key.getValue());
                boolean ok = switch (op.getKey()) {
                    case "StringEquals" -> actual != null && values.contains(actual);
                    case "StringNotEquals" -> actual == null || !values.contains(actual);
                    case "StringLike" -> actual != null && values.stream().anyMatch(v -> glob(v, actual, false));
                    default -> throw new IllegalArgumentException("condition operator " + op.getKey() + " is not modelled");
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String contextValue(Request r, String key) {
        if (key.equals("aws:PrincipalArn")) {
            return r.principal().arn();
        }
        if (key.equals("aws:PrincipalAccount") || key.equals("kms:CallerAccount")) {
            return r.principal().account();
        }
        if (key.startsWith("aws:PrincipalTag/")) {
            return r.principal().tags().get(key.substring("aws:PrincipalTag/".length()));
        }
        return r.context().get(key);
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    /** IAM wildcards: '*' any run of characters, '?' one character. */
    static boolean glob(String pattern, String value, boolean ignoreCase) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0)
                .matcher(ignoreCase ? value.toLowerCase(Locale.ROOT) : value).matches();
    }
}
