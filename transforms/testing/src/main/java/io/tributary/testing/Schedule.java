package io.tributary.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.ToLongFunction;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * An arrival order of timestamped elements interleaved with watermark advances, from which both a
 * {@link TestStream} and an oracle are built: each arrival records the watermark it arrived under.
 */
public final class Schedule<T> {
  /** One element and the input watermark when it arrived. */
  public record Arrival<T>(T value, long eventTime, long watermark) implements java.io.Serializable {}

  private final List<Object> steps = new ArrayList<>();
  private final List<Arrival<T>> arrivals = new ArrayList<>();
  private long watermark = Long.MIN_VALUE;

  /** Adds an element at its event time. */
  public Schedule<T> add(T value, long eventTime) {
    Arrival<T> a = new Arrival<>(value, eventTime, watermark);
    steps.add(a);
    arrivals.add(a);
    return this;
  }

  /** Advances the watermark; a time at or below the current watermark is ignored. */
  public Schedule<T> advanceTo(long time) {
    if (time > watermark) {
      watermark = time;
      steps.add(time);
    }
    return this;
  }

  public List<Arrival<T>> arrivals() {
    return Collections.unmodifiableList(arrivals);
  }

  public long watermark() {
    return watermark;
  }

  /** The schedule as a TestStream that ends with the watermark at infinity. */
  @SuppressWarnings("unchecked")
  public TestStream<T> toTestStream(Coder<T> coder) {
    TestStream.Builder<T> builder = TestStream.create(coder);
    List<TimestampedValue<T>> batch = new ArrayList<>();
    for (Object step : steps) {
      if (step instanceof Arrival) {
        Arrival<T> a = (Arrival<T>) step;
        batch.add(TimestampedValue.of(a.value(), new Instant(a.eventTime())));
      } else {
        builder = flush(builder, batch);
        builder = builder.advanceWatermarkTo(new Instant((Long) step));
      }
    }
    return flush(builder, batch).advanceWatermarkToInfinity();
  }

  private static <T> TestStream.Builder<T> flush(
      TestStream.Builder<T> builder, List<TimestampedValue<T>> batch) {
    if (batch.isEmpty()) {
      return builder;
    }
    @SuppressWarnings("unchecked")
    TimestampedValue<T>[] rest = batch.subList(1, batch.size()).toArray(new TimestampedValue[0]);
    TestStream.Builder<T> next = builder.addElements(batch.get(0), rest);
    batch.clear();
    return next;
  }

  /** Makes a straggler: a value with an event time behind the given watermark. */
  public interface Straggler<T> {
    T behind(long watermark, java.util.Random random);
  }

  /**
   * A random schedule: {@code values} in an order disturbed by up to {@code disorder} ms of event
   * time, the watermark following the largest event time seen less {@code watermarkLag} (events
   * more disordered than the lag arrive late), and after about one arrival in {@code
   * stragglerEvery} a straggler made behind the current watermark.
   */
  public static <T> Schedule<T> random(
      java.util.Random random,
      List<T> values,
      ToLongFunction<T> eventTime,
      long disorder,
      long watermarkLag,
      int stragglerEvery,
      Straggler<T> straggler) {
    List<long[]> keys = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      keys.add(new long[] {eventTime.applyAsLong(values.get(i)) + random.nextLong(disorder + 1), i});
    }
    keys.sort(java.util.Comparator.<long[]>comparingLong(k -> k[0]).thenComparingLong(k -> k[1]));
    Schedule<T> schedule = new Schedule<>();
    long maxSeen = Long.MIN_VALUE;
    for (long[] key : keys) {
      T v = values.get((int) key[1]);
      long ts = eventTime.applyAsLong(v);
      schedule.add(v, ts);
      maxSeen = Math.max(maxSeen, ts);
      if (random.nextInt(8) == 0) {
        schedule.advanceTo(maxSeen - watermarkLag);
      }
      if (stragglerEvery > 0
          && schedule.watermark() != Long.MIN_VALUE
          && random.nextInt(stragglerEvery) == 0) {
        T late = straggler.behind(schedule.watermark(), random);
        schedule.add(late, eventTime.applyAsLong(late));
      }
    }
    return schedule;
  }
}
