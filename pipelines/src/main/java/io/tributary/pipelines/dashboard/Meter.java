package io.tributary.pipelines.dashboard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * Input figures of an in-process pipeline for a dashboard's operations strip: records in, the
 * newest event time, and (JVM-wide) the failures written to the dead letters. Updated by the
 * pipeline's steps, read once a second by the dashboard.
 */
public final class Meter {
  private static final AtomicLong DEAD_LETTERS = new AtomicLong();
  private static final Map<String, Meter> NAMED = new ConcurrentHashMap<>();

  private final AtomicLong records = new AtomicLong();
  private final AtomicLong newestEventMillis = new AtomicLong(Long.MIN_VALUE);
  private long lastRecords;
  private long lastReadMillis = System.currentTimeMillis();

  /** What the operations strip shows. */
  public record Reading(double eventsPerSecond, long lagMillis, long deadLetters) {}

  /** The meter of a page of this JVM, e.g. {@code activity}: what {@link RecordFn} updates. */
  public static Meter named(String page) {
    return NAMED.computeIfAbsent(page, p -> new Meter());
  }

  /** Records each input element in the named meter, with its event time. */
  public static final class RecordFn<T> extends DoFn<T, Void> {
    private final String page;
    private final SerializableFunction<T, Long> eventTime;
    private transient Meter meter;

    public RecordFn(String page, SerializableFunction<T, Long> eventTime) {
      this.page = page;
      this.eventTime = eventTime;
    }

    @Setup
    public void setup() {
      meter = named(page);
    }

    @ProcessElement
    public void process(@Element T element) {
      meter.record(eventTime.apply(element));
    }
  }

  /** One record in, with its event time. */
  public void record(long eventTimeMillis) {
    records.incrementAndGet();
    newestEventMillis.accumulateAndGet(eventTimeMillis, Math::max);
  }

  /** One failure written to the dead letters (by any pipeline in this JVM). */
  public static void deadLetter() {
    DEAD_LETTERS.incrementAndGet();
  }

  public static long deadLetters() {
    return DEAD_LETTERS.get();
  }

  /** Records per second since the previous reading, and the lag of the newest event time. */
  public synchronized Reading read(long nowMillis) {
    long n = records.get();
    long elapsed = Math.max(1, nowMillis - lastReadMillis);
    double rate = (n - lastRecords) * 1000.0 / elapsed;
    lastRecords = n;
    lastReadMillis = nowMillis;
    long newest = newestEventMillis.get();
    long lag = newest == Long.MIN_VALUE ? 0 : Math.max(0, nowMillis - newest);
    return new Reading(rate, lag, DEAD_LETTERS.get());
  }
}
