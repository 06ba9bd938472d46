package io.tributary.it.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Times one run of a benchmark body and records the heap it needed. */
final class Measure {
  private Measure() {}

  /**
   * Seconds, peak heap and heap in use after a full GC, of one run, and the collectors' pauses
   * during it.
   */
  record Run(double seconds, long peakHeapMb, long liveHeapMb, double gcPauseSeconds) {}

  interface Body {
    void run() throws Exception;
  }

  /**
   * The fastest of {@code repeats} runs, with its GC pauses and the largest peak heap of them:
   * machine noise only ever slows a run.
   */
  static Run best(int repeats, Body body) throws Exception {
    Run best = null;
    for (int r = 0; r < repeats; r++) {
      Run run = once(body);
      best =
          best == null
              ? run
              : new Run(
                  Math.min(best.seconds(), run.seconds()),
                  Math.max(best.peakHeapMb(), run.peakHeapMb()),
                  run.liveHeapMb(),
                  run.seconds() < best.seconds() ? run.gcPauseSeconds() : best.gcPauseSeconds());
    }
    return best;
  }

  /**
   * Runs {@code body} once after a full GC. The peak heap is the sum of the heap pools' peak usage
   * during the run, the live heap what is still in use after a full GC that follows it; the GC
   * pauses are the collectors' time during the run (neither full GC counts).
   */
  static Run once(Body body) throws Exception {
    System.gc();
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
        heap.add(pool);
      }
    }
    long gcBefore = gcPauseMillis();
    long start = System.nanoTime();
    body.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    double gcSeconds = (gcPauseMillis() - gcBefore) / 1e3;
    long peak = 0;
    for (MemoryPoolMXBean pool : heap) {
      peak += pool.getPeakUsage().getUsed();
    }
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return new Run(seconds, peak >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20, gcSeconds);
  }

  /** The JVM's garbage collectors, as its management beans name them. */
  static String collectors() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(GarbageCollectorMXBean::getName)
        .collect(Collectors.joining(" + "));
  }

  /**
   * The collectors' accumulated collection time so far, in ms: the pauses (G1's and the parallel
   * collector's beans count their stop-the-world collections, not G1's concurrent marking).
   */
  static long gcPauseMillis() {
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }
}
