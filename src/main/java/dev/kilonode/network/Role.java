package dev.kilonode.network;

/** The machine roles, each with its own security group. */
public enum Role {
    TF_CONTROLLER("tf-controller"),
    MASTER("master"),
    WORKER("worker"),
    API_LB("api-lb");

    private final String tag;

    Role(String tag) {
        this.tag = tag;
    }

    /** The value of the {@code kilonode:role} tag and the name stem of the role's resources. */
    public String tag() {
        return tag;
    }
}
