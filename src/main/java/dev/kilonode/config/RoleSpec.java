package dev.kilonode.config;

/** A fixed-size machine role (Tungsten Fabric controllers, Kubernetes masters). */
public record RoleSpec(int count, InstanceType instanceType, int rootVolumeGb) {
}
