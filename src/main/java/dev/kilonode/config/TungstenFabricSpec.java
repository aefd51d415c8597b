package dev.kilonode.config;

/** How the Tungsten Fabric control plane and vRouter are installed (report 000's instances.yaml settings). */
public record TungstenFabricSpec(String registry, String tag, String jvmExtraOpts, String deployerRepo,
                                 String deployerRef) {

    public boolean usesLatestTag() {
        return "latest".equals(tag) || tag.endsWith("-latest");
    }
}
