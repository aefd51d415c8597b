package dev.kilonode.config;

import java.util.Optional;

/**
 * The Kubernetes API's one stable name, {@code api.<domain>}: kubeadm's controlPlaneEndpoint, the API server
 * certificate's name, the workers' join endpoint, kube-manager's API URL and the stack's Kubernetes provider all use
 * it, so replacing a load balancer or opening/closing the public endpoint changes no kubeconfig. A Route 53 private
 * zone for {@code domain} answers it inside the VPC; {@code publicZoneId} (a public zone holding the domain) answers
 * it outside while {@code apiAllowedCidrs} opens the public endpoint (split horizon).
 *
 * @param domain       kilonode:apiDomain, a DNS name such as {@code dev.kilonode.internal}
 * @param publicZoneId kilonode:apiPublicZoneId, the id of an existing public hosted zone; present only while admin CIDRs
 *                     open the public endpoint (the setting may stay in the stack while they do not)
 */
public record ApiNameSpec(String domain, Optional<String> publicZoneId) {

    public static final int PORT = 6443;

    /** {@code api.<domain>}. */
    public String host() {
        return "api." + domain;
    }

    /** {@code api.<domain>:6443}: kubeadm's controlPlaneEndpoint and the join endpoint. */
    public String endpoint() {
        return host() + ":" + PORT;
    }

    /** {@code https://api.<domain>:6443}: the URL of every client (provider, kube-manager, kubectl, status). */
    public String url() {
        return "https://" + endpoint();
    }
}
