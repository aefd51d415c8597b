package dev.kilonode.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 CIDR block: parsing, overlap, and carving subnets out of it (the VPC's and the cluster's ranges). */
public record Cidr(long base, int prefix) {

    private static final Pattern FORM = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    /** Parses {@code a.b.c.d/n}; empty when the text is not a CIDR or has host bits set. */
    public static Optional<Cidr> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return Optional.empty();
            }
            address = (address << 8) | octet;
        }
        int prefix = Integer.parseInt(m.group(5));
        if (prefix > 32) {
            return Optional.empty();
        }
        Cidr cidr = new Cidr(address, prefix);
        return cidr.base == (address & cidr.mask()) ? Optional.of(cidr) : Optional.empty();
    }

    public static Cidr require(String text) {
        return parse(text).orElseThrow(() -> new IllegalArgumentException("not a CIDR: " + text));
    }

    public long mask() {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    public long size() {
        return 1L << (32 - prefix);
    }

    public boolean overlaps(Cidr other) {
        int shorter = Math.min(prefix, other.prefix);
        long m = shorter == 0 ? 0 : (0xFFFFFFFFL << (32 - shorter)) & 0xFFFFFFFFL;
        return (base & m) == (other.base & m);
    }

    /** The {@code index}-th subnet with {@code newBits} more prefix bits (like Terraform's cidrsubnet). */
    public Cidr subnet(int newBits, int index) {
        int newPrefix = prefix + newBits;
        if (newPrefix > 32 || index < 0 || index >= (1L << newBits)) {
            throw new IllegalArgumentException("no subnet " + index + " of /" + newPrefix + " in " + this);
        }
        return new Cidr(base + index * (1L << (32 - newPrefix)), newPrefix);
    }

    /** The address {@code offset} hosts into the block (offset 0 is the network address). */
    public String host(int offset) {
        if (offset < 0 || offset >= size()) {
            throw new IllegalArgumentException("host " + offset + " outside " + this);
        }
        return ipv4(base + offset);
    }

    private static String ipv4(long a) {
        return ((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
    }

    @Override
    public String toString() {
        return ipv4(base) + "/" + prefix;
    }
}
