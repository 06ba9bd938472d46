package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.values.SourcePosition;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.values.Values;
import java.util.Locale;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Plugs the fraud capability into the feature store: each {@link ScoredTransaction} becomes a
 * {@link FeatureRow} of entity {@code card} (id: the card id) at the transaction's event time, with
 * the card's rolling history in the transaction's currency over the window before it:
 *
 * <ul>
 *   <li>{@code txn_count_<w>_<CUR>}, {@code txn_sum_minor_<w>_<CUR>}, {@code
 *       txn_max_minor_<w>_<CUR>} (integers) and {@code txn_mean_minor_<w>_<CUR>} (double), where
 *       {@code <w>} is the window length ({@code 1h}, {@code 30m}, {@code 45s}) and {@code <CUR>}
 *       the currency code;
 *   <li>{@code last_amount_minor_<CUR>}: the transaction's own amount.
 * </ul>
 *
 * <p>The history never includes the transaction itself (see {@link Fraud#score()}), so the values
 * are those a model would have seen when the transaction arrived. The row's position order key is
 * {@code txn:<transaction id>}, which breaks ties between transactions of one card at the same
 * millisecond deterministically. Element-wise; windowing and timestamps pass through.
 *
 * <pre>{@code
 * scores.scored().apply("CardFeatures", FraudFeatures.toFeatureRows())
 *     .apply("Online", FeatureStore.writeOnline(endpoint));
 * }</pre>
 */
public final class FraudFeatures {
  /** The entity type of card features. */
  public static final String ENTITY = "card";

  /** The origin of the rows. */
  public static final String ORIGIN = "fraud.scored_transactions";

  private FraudFeatures() {}

  /** Scored transactions to card feature rows. */
  public static PTransform<PCollection<ScoredTransaction>, PCollection<FeatureRow>> toFeatureRows() {
    return new ToFeatureRows();
  }

  /** The feature row of one scored transaction. */
  public static FeatureRow featureRow(ScoredTransaction scored) {
    Transaction t = scored.getTransaction();
    WindowStats w = scored.getPreceding();
    String suffix = windowLabel(w.getWindowEndMillis() - w.getWindowStartMillis()) + "_" + t.getCurrency();
    return FeatureRow.newBuilder()
        .setEntityType(ENTITY)
        .setEntityId(t.getCardId())
        .setEventTimeMillis(t.getEventTimeMillis())
        .setOrigin(ORIGIN)
        .setPosition(SourcePosition.newBuilder().setOrderKey("txn:" + t.getTransactionId()))
        .addFeatures(Values.column("txn_count_" + suffix, Values.of(w.getCount())))
        .addFeatures(Values.column("txn_sum_minor_" + suffix, Values.of(w.getSumMinor())))
        .addFeatures(Values.column("txn_mean_minor_" + suffix, Values.of(w.getMeanMinor())))
        .addFeatures(Values.column("txn_max_minor_" + suffix, Values.of(w.getMaxMinor())))
        .addFeatures(
            Values.column("last_amount_minor_" + t.getCurrency(), Values.of(t.getAmountMinor())))
        .build();
  }

  /** A window length as {@code <n>h}, {@code <n>m}, {@code <n>s} or {@code <n>ms}. */
  static String windowLabel(long millis) {
    if (millis > 0 && millis % 3_600_000L == 0) {
      return (millis / 3_600_000L) + "h";
    }
    if (millis > 0 && millis % 60_000L == 0) {
      return (millis / 60_000L) + "m";
    }
    if (millis > 0 && millis % 1000L == 0) {
      return (millis / 1000L) + "s";
    }
    return String.format(Locale.ROOT, "%dms", millis);
  }

  static final class ToFeatureRows
      extends PTransform<PCollection<ScoredTransaction>, PCollection<FeatureRow>> {
    @Override
    public PCollection<FeatureRow> expand(PCollection<ScoredTransaction> input) {
      return input
          .apply("ScoredToFeatureRows", ParDo.of(new FeatureRowFn()))
          .setCoder(MessageCoder.of(FeatureRow.class));
    }
  }

  static final class FeatureRowFn extends DoFn<ScoredTransaction, FeatureRow> {
    @ProcessElement
    public void process(@Element ScoredTransaction scored, OutputReceiver<FeatureRow> out) {
      out.output(featureRow(scored));
    }
  }
}
