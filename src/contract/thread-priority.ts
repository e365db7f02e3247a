/**
 * CPU priority of threads (Linux). Linux schedules threads one by one, and setpriority(2) given a
 * thread id sets that thread's nice value alone. Elsewhere (no /proc) nothing changes; neither
 * does anything when a call is refused: a missed optimisation, never an error. Lowering a
 * priority needs no privilege.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** The lowest priority (nice 19): the thread runs when nothing else wants the CPU. */
const LOWEST = 19;

/** Lowers the calling thread (whose id is the last part of /proc/thread-self). */
export function lowerThisThreadsPriority(): void {
  try {
    lowerThread(Number(readlinkSync("/proc/thread-self").split("/").pop()));
  } catch {
    // Not Linux.
  }
}

/**
 * Lowers every thread of this process but the main one, as they are now (threads started later
 * keep the priority of the thread that starts them). Returns how many were lowered.
 */
export function lowerOtherThreadsPriority(): number {
  let lowered = 0;
  try {
    for (const entry of readdirSync("/proc/self/task")) {
      const threadId = Number(entry);
      if (threadId !== process.pid && lowerThread(threadId)) lowered++;
    }
  } catch {
    // Not Linux.
  }
  return lowered;
}

function lowerThread(threadId: number): boolean {
  if (!Number.isInteger(threadId) || threadId <= 0) return false;
  try {
    setPriority(threadId, LOWEST);
    return true;
  } catch {
    return false;
  }
}
