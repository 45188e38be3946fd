package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.testkit.NetNs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the team interop tests share: the Linux side of {@code chimney run --tap chy0 --team chy1} (both TAPs on one
 * bridge, br0, STP off, the kernel's addresses on it), {@code chimney ctl} run in-process, and the shutdown line's
 * team summary.
 */
final class TeamBridge {
    /** {@code chimney run}'s shutdown line with a team: failovers, active member, offloads, uploads, lost, left. */
    static final Pattern SUMMARY = Pattern.compile("team: (\\d+) failovers, member (\\d) active; offload "
            + "all: (\\d+) connections offloaded \\((\\d+) failed, (\\d+) stayed on the host\\), (\\d+) uploaded back, "
            + "(\\d+) lost, (\\d+) still offloaded");

    private TeamBridge() {
    }

    /**
     * Bridges chy0 and chy1 in {@code ns} and gives br0 the kernel's addresses ({@code ipv6} may be null); with
     * {@code shaped}, Linux → stack goes through a 40 Mbit/s token bucket so transfers last seconds.
     */
    static void up(NetNs ns, String ipv4, String ipv6, boolean shaped) {
        ns.execOk("ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0");
        ns.execOk("ip", "link", "set", "chy0", "master", "br0");
        ns.execOk("ip", "link", "set", "chy1", "master", "br0");
        ns.execOk("ip", "link", "set", "br0", "up");
        ns.execOk("ip", "addr", "add", ipv4, "dev", "br0");
        if (ipv6 != null) {
            ns.execOk("ip", "-6", "addr", "add", ipv6, "dev", "br0", "nodad");
        }
        if (shaped) {
            ns.execOk("tc", "qdisc", "add", "dev", "br0", "root", "tbf", "rate", "40mbit", "burst", "64kb",
                    "latency", "100ms");
        }
    }

    /** Runs {@code chimney ctl --netns NS --control PORT command}, asserts exit 0 and returns what it printed. */
    static String ctl(NetNs ns, String port, String command) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("ctl", "--netns", ns.name(), "--control", port, command);
        assertEquals(0, code, "chimney ctl " + command + ": " + out + err);
        System.out.println("chimney ctl " + command + ": " + out.toString().strip());
        return out.toString();
    }

    /**
     * Asserts that the bridge learned the team's one MAC (from {@code chimney run}'s start line) on chy1: after a
     * failover, frames to the stack go to the new member's TAP.
     */
    static void assertMacOnChy1(NetNs ns, String started) {
        Matcher mac = Pattern.compile(" mac ([0-9a-f:]{17}) ").matcher(started);
        assertTrue(mac.find(), started);
        NetNs.Result fdb = ns.exec("bridge", "fdb", "show", "br", "br0");
        assertTrue(fdb.stdout().contains(mac.group(1) + " dev chy1 "), "fdb: " + fdb.stdout());
    }

    /**
     * Asserts the shutdown line's team summary after one failover: member 1 active, nothing lost, nothing left
     * offloaded, at least {@code minOffloads} offloads ({@code why} says what makes them); returns the match for
     * further checks.
     */
    static Matcher assertOneCleanFailover(String stopped, int minOffloads, String why) {
        Matcher m = SUMMARY.matcher(stopped);
        assertTrue(m.find(), stopped);
        assertEquals("1", m.group(1), "failovers: " + stopped);
        assertEquals("1", m.group(2), "member 1 active: " + stopped);
        assertEquals("0", m.group(7), "lost: " + stopped);
        assertEquals("0", m.group(8), "still offloaded: " + stopped);
        assertTrue(Integer.parseInt(m.group(3)) >= minOffloads, why + ": " + stopped);
        System.out.println("chimney run --team: " + m.group());
        return m;
    }
}
