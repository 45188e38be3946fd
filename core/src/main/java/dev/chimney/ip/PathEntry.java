package dev.chimney.ip;

import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;

/**
 * The path to one destination: the chimney's path state object (spec §2.4) — constant source and destination
 * addresses, cached path MTU; the delegated part is empty. Mutated only by its {@link PathCache} on the owning loop.
 */
public final class PathEntry extends LruList.Node<PathEntry> {
    // ---- constant (spec §2.4)
    private final IpAddress sourceAddress;
    private final IpAddress destinationAddress;

    // ---- cached (spec §2.4): the host owns it; PMTU discovery lowers it, aging raises it.
    int pathMtuBytes;

    /** The MTU of the link the route uses: the ceiling aging returns to (RFC 1191 §6.3). */
    int linkMtuBytes;
    /** When the PMTU was last lowered (loop clock ns); aging counts from here. */
    long lastDecreaseNs;
    final Timer agingTimer;

    boolean removed;

    PathEntry(IpAddress sourceAddress, IpAddress destinationAddress, int linkMtuBytes, PathCache owner) {
        this.sourceAddress = sourceAddress;
        this.destinationAddress = destinationAddress;
        this.linkMtuBytes = linkMtuBytes;
        this.pathMtuBytes = linkMtuBytes;
        this.agingTimer = new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                owner.onAged(PathEntry.this, nowNs);
            }
        };
    }

    public IpAddress sourceAddress() {
        return sourceAddress;
    }

    public IpAddress destinationAddress() {
        return destinationAddress;
    }

    /** The current path MTU in bytes (IP header included). */
    public int pathMtuBytes() {
        return pathMtuBytes;
    }

    public int linkMtuBytes() {
        return linkMtuBytes;
    }

    public boolean isValid() {
        return !removed;
    }

    /** Constant and cached parts as one immutable snapshot (the chimney path state object). */
    public PathState snapshot() {
        return new PathState(sourceAddress, destinationAddress, pathMtuBytes);
    }

    /**
     * Snapshot of a path state object (spec §2.4).
     *
     * @param sourceAddress      const SourceAddress
     * @param destinationAddress const DestinationAddress
     * @param pathMtuBytes       cached PathMtu
     */
    public record PathState(IpAddress sourceAddress, IpAddress destinationAddress, int pathMtuBytes) {
    }

    @Override
    public String toString() {
        return sourceAddress + " -> " + destinationAddress + " pmtu " + pathMtuBytes;
    }
}
