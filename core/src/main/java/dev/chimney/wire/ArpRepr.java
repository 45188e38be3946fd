package dev.chimney.wire;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/** An Ethernet/IPv4 ARP request or reply (RFC 826). */
public record ArpRepr(Operation operation, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac,
                      Ipv4Address targetIp) {

    /** ARP opcodes; other opcodes (RARP, InARP) are rejected as UNSUPPORTED. */
    public enum Operation { REQUEST, REPLY }

    public ArpRepr {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(senderMac, "senderMac");
        Objects.requireNonNull(senderIp, "senderIp");
        Objects.requireNonNull(targetMac, "targetMac");
        Objects.requireNonNull(targetIp, "targetIp");
    }

    public static ArpRepr parse(final ArpView v) throws WireFormatException {
        v.check();
        final Operation op = switch (v.operation()) {
            case ArpView.OPERATION_REQUEST -> Operation.REQUEST;
            case ArpView.OPERATION_REPLY -> Operation.REPLY;
            default -> throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "ARP: unsupported operation " + v.operation());
        };
        return new ArpRepr(op, new MacAddress(v.senderMacBits()), new Ipv4Address(v.senderIpBits()),
                new MacAddress(v.targetMacBits()), new Ipv4Address(v.targetIpBits()));
    }

    public int bufferLen() {
        return ArpView.LENGTH;
    }

    public void emit(final MemorySegment seg, final long offset) {
        new ArpView().wrap(seg, offset, ArpView.LENGTH).ethernetIpv4()
                .operation(operation == Operation.REQUEST ? ArpView.OPERATION_REQUEST : ArpView.OPERATION_REPLY)
                .senderMacBits(senderMac.bits()).senderIpBits(senderIp.bits())
                .targetMacBits(targetMac.bits()).targetIpBits(targetIp.bits());
    }
}
