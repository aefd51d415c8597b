package dev.kilonode.plan;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.pulumi.Log;
import com.pulumi.resources.Resource;
import com.pulumi.test.Mocks;
import com.pulumi.test.internal.MockMonitor;
import pulumirpc.Resource.RegisterResourceRequest;
import pulumirpc.Resource.RegisterResourceResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A resource's inputs as the Pulumi engine receives them during a preview, unknowns included.
 *
 * <p>The SDK's serializer (pulumi-java 1.36.1 {@code com.pulumi.serialization.internal.Serializer}) writes an
 * {@code Output} that is not known yet as the string {@value #UNKNOWN} at the place it occurs (a whole list, one
 * field of a nested args object...). The mock monitor then deserializes the request and drops every top-level input
 * that contains an unknown ({@code MockMonitor.deserializeToMap} keeps only known values), so the mocks never see
 * them. The engine keeps them: it turns the sentinel into a computed value and hands it to a policy pack as the same
 * sentinel (pulumi sdk/go/common/resource/plugin/rpc.go, {@code MarshalOptions.KeepUnknowns} in the analyzer
 * plugin), which {@code @pulumi/policy} 1.21.0 guards with its unknown-checking proxy (proxy.js). This class
 * records the request itself and converts it the way the engine marshals it for the analyzer: secrets shown as
 * {@value PlanEngine#SECRET} (the plan never prints them; the analyzer would see the plaintext), resource
 * references as their id (the analyzer marshals without {@code KeepResources}), unknowns kept as the sentinel.
 */
public final class PreviewInputs {

    /** pulumi: sdk/go/common/resource/plugin/rpc.go UnknownStringValue, pulumi-java Constants.UnknownValue. */
    public static final String UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    /** The signature key and values of special objects on the wire (pulumi sdk/go/common/resource/sig). */
    static final String SIG_KEY = "4dabf18193072939515e22adb298388d";
    static final String SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
    static final String RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

    private PreviewInputs() {
    }

    /** A mock monitor that records every RegisterResourceRequest's inputs under "type::name" before serving it. */
    static MockMonitor recording(Mocks mocks, Map<String, RegisterResourceRequest> requests) {
        return new MockMonitor(mocks, Log.ignore()) {
            @Override
            public CompletableFuture<RegisterResourceResponse> registerResourceAsync(Resource resource,
                                                                                     RegisterResourceRequest request) {
                requests.put(request.getType() + "::" + request.getName(), request);
                return super.registerResourceAsync(resource, request);
            }
        };
    }

    /** Per input, the resources it depends on as "type::name" (from the URNs the SDK sends), sorted. */
    static Map<String, List<String>> propertyDependencies(RegisterResourceRequest request) {
        Map<String, List<String>> out = new TreeMap<>();
        request.getPropertyDependenciesMap().forEach((property, deps) -> {
            List<String> keys = deps.getUrnsList().stream().map(PreviewInputs::typeAndName).sorted().toList();
            if (!keys.isEmpty()) {
                out.put(property, keys);
            }
        });
        return out;
    }

    /** "urn:pulumi:stack::project::parent$type::name" -> "type::name". */
    static String typeAndName(String urn) {
        int nameAt = urn.lastIndexOf("::");
        String qualifiedType = urn.substring(urn.lastIndexOf("::", nameAt - 1) + 2, nameAt);
        return qualifiedType.substring(qualifiedType.lastIndexOf('$') + 1) + "::" + urn.substring(nameAt + 2);
    }

    /** The request's inputs with unknowns as {@value #UNKNOWN}, sorted, numbers as the plan shows them. */
    public static Map<String, Object> of(Struct object) {
        Map<String, Object> out = new TreeMap<>();
        object.getFieldsMap().forEach((k, v) -> {
            Object value = convert(v);
            if (value != null) {
                out.put(k, value);
            }
        });
        return PlanEngine.normalize(out);
    }

    private static Object convert(Value v) {
        return switch (v.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> null;
            case BOOL_VALUE -> v.getBoolValue();
            case NUMBER_VALUE -> v.getNumberValue();
            case STRING_VALUE -> v.getStringValue();
            case LIST_VALUE -> {
                List<Object> list = new ArrayList<>();
                v.getListValue().getValuesList().forEach(e -> list.add(convert(e)));
                yield list;
            }
            case STRUCT_VALUE -> {
                Map<String, Value> fields = v.getStructValue().getFieldsMap();
                Value sig = fields.get(SIG_KEY);
                if (sig != null && SECRET_SIG.equals(sig.getStringValue())) {
                    Value inner = fields.get("value");
                    // An unknown stays unknown whether or not it will be secret.
                    yield inner != null && UNKNOWN.equals(inner.getStringValue()) ? UNKNOWN : PlanEngine.SECRET;
                }
                if (sig != null && RESOURCE_REFERENCE_SIG.equals(sig.getStringValue())) {
                    Value id = fields.get("id");
                    yield id != null && id.hasStringValue() ? (id.getStringValue().isEmpty() ? UNKNOWN : id.getStringValue())
                            : fields.get("urn").getStringValue();
                }
                Map<String, Object> map = new TreeMap<>();
                fields.forEach((k, e) -> map.put(k, convert(e)));
                yield map;
            }
        };
    }
}
