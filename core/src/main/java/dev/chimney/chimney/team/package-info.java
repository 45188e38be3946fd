/**
 * Team failover (spec §2.15, §5.1): {@link dev.chimney.chimney.team.TeamTarget}, an intermediate offload target that
 * bonds two member targets on two links (active-backup, one MAC) and moves the chimney from one to the other with
 * PAUSE → UPLOAD_ALL → switch → RESUME, announcing the move with gratuitous ARP and unsolicited neighbor
 * advertisements so that a switch learns the new port at once.
 */
package dev.chimney.chimney.team;
