package dev.chimney.wire;

import static dev.chimney.wire.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Ethernet II with 802.1Q tags (IEEE 802.1Q §9.6) and ARP for Ethernet/IPv4 (RFC 826), on scapy fixtures. */
class LinkLayerTest {
    /** ARP(op=1, hwsrc=MAC1, psrc="10.77.0.1", hwdst=00:..:00, pdst="10.77.0.2"). */
    static final String ARP_REQUEST = "0001080006040001" + "0200000000010a4d0001" + "0000000000000a4d0002";

    /**
     * Ether(dst=ff:..:ff, src=MAC1)/Dot1Q(prio=5, id=1, vlan=100)/ARP(op=2, hwsrc=MAC1, psrc="10.77.0.1",
     * hwdst=MAC2, pdst="10.77.0.2").
     */
    static final String TAGGED_ARP_REPLY = "ffffffffffff020000000001" + "8100" + "b064" + "0806"
            + "0001080006040002" + "0200000000010a4d0001" + "0200000000020a4d0002";

    @Test
    void deconstructsArpRequest() throws Exception {
        final ArpView v = new ArpView().wrap(seg(ARP_REQUEST)).check();
        assertEquals(1, v.hardwareType());
        assertEquals(EtherType.IPV4, v.protocolType());
        assertEquals(ArpView.OPERATION_REQUEST, v.operation());
        assertEquals(MAC1.bits(), v.senderMacBits());
        assertEquals(IP1.bits(), v.senderIpBits());
        assertEquals(0L, v.targetMacBits());
        assertEquals(IP2.bits(), v.targetIpBits());
        assertEquals(new ArpRepr(ArpRepr.Operation.REQUEST, MAC1, IP1, MacAddress.ZERO, IP2),
                ArpRepr.parse(v));
    }

    @Test
    void constructsArpRequest() {
        final MemorySegment buf = poisoned(28);
        new ArpRepr(ArpRepr.Operation.REQUEST, MAC1, IP1, MacAddress.ZERO, IP2).emit(buf, 0);
        assertEquals(ARP_REQUEST, hex(buf));
    }

    @Test
    void deconstructsTaggedFrameCarryingArpReply() throws Exception {
        final MemorySegment f = seg(TAGGED_ARP_REPLY);
        final EthernetView eth = new EthernetView().wrap(f).check();
        assertTrue(eth.hasVlanTag());
        assertEquals(5, eth.vlanPcp());
        assertTrue(eth.vlanDei());
        assertEquals(100, eth.vlanId());
        assertEquals(EtherType.ARP, eth.etherType());
        assertEquals(18, eth.headerLen());
        assertTrue(eth.destination().isBroadcast());
        assertEquals(28, eth.payloadLength());
        final EthernetRepr er = EthernetRepr.parse(eth);
        assertEquals(new EthernetRepr(MAC1, MacAddress.BROADCAST, EtherType.ARP,
                new EthernetRepr.VlanTag(5, true, 100)), er);
        final ArpRepr arp = ArpRepr.parse(new ArpView().wrap(f, eth.payloadOffset(), eth.payloadLength()));
        assertEquals(new ArpRepr(ArpRepr.Operation.REPLY, MAC1, IP1, MAC2, IP2), arp);

        final MemorySegment out = poisoned((int) f.byteSize());
        er.emit(out, 0);
        arp.emit(out, er.bufferLen());
        assertEquals(TAGGED_ARP_REPLY, hex(out));
    }

    @Test
    void unknownEtherTypePassesThroughAsNumber() throws Exception {
        final EthernetView v = new EthernetView().wrap(seg("020000000002020000000001" + "88cc" + "00")).check();
        assertEquals(0x88CC, v.etherType());
        assertEquals(1, v.payloadLength());
    }

    @Test
    void truncatedEthernetAndTagAreRejected() {
        assertEquals(WireFormatException.Reason.TRUNCATED, assertThrows(WireFormatException.class,
                () -> new EthernetView().wrap(seg("02000000000202000000000108")).check()).reason());
        // Tagged: TPID says 802.1Q but the tag and inner EtherType are missing.
        assertEquals(WireFormatException.Reason.TRUNCATED, assertThrows(WireFormatException.class,
                () -> new EthernetView().wrap(seg("020000000002020000000001" + "8100" + "b0")).check()).reason());
    }

    @Test
    void arpForOtherHardwareOrProtocolIsUnsupported() {
        final String ieee802 = "0006" + ARP_REQUEST.substring(4);
        assertEquals(WireFormatException.Reason.UNSUPPORTED, assertThrows(WireFormatException.class,
                () -> new ArpView().wrap(seg(ieee802)).check()).reason());
        final String rarp = ARP_REQUEST.substring(0, 12) + "0003" + ARP_REQUEST.substring(16);
        assertEquals(WireFormatException.Reason.UNSUPPORTED, assertThrows(WireFormatException.class,
                () -> ArpRepr.parse(new ArpView().wrap(seg(rarp)))).reason());
        assertThrows(IllegalArgumentException.class, () -> new EthernetRepr(MAC1, MAC2, EtherType.VLAN, null));
    }
}
