package dev.chimney.chimney;

/**
 * The layer of a state object (spec §2.1) and, for paths, the IP version: the {@code OFFLOAD_STATE_TYPE} family of a
 * block list (spec §2.8). Which of const / cached / delegated accompany the block list is given by
 * {@link BlockList#parts()}.
 */
public enum StateLayer {
    NEIGHBOR, IPV4_PATH, IPV6_PATH, TCP;

    /** The layer a block list's dependent list holds: neighbor → path → TCP (spec §2.10); null above TCP. */
    public boolean canParent(StateLayer child) {
        return switch (this) {
            case NEIGHBOR -> child == IPV4_PATH || child == IPV6_PATH;
            case IPV4_PATH, IPV6_PATH -> child == TCP;
            case TCP -> false;
        };
    }

    public boolean isPath() {
        return this == IPV4_PATH || this == IPV6_PATH;
    }
}
