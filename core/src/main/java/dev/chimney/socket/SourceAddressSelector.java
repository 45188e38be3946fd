package dev.chimney.socket;

import dev.chimney.wire.IpAddress;
import java.util.List;

/** Chooses our address for a connection to {@code remote} (RFC 6724 source selection in a full host). */
@FunctionalInterface
public interface SourceAddressSelector {

    /** Our address towards {@code remote}, or null when there is none (the connect fails: no route). */
    IpAddress sourceFor(IpAddress remote);

    /** The first of {@code addresses} of the same family as the remote. */
    static SourceAddressSelector firstOfFamily(List<? extends IpAddress> addresses) {
        List<IpAddress> copy = List.copyOf(addresses);
        return remote -> {
            for (IpAddress a : copy) {
                if (a.isIpv4() == remote.isIpv4()) {
                    return a;
                }
            }
            return null;
        };
    }
}
