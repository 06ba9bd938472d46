package example;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.transforms.activity.WebActivity;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;

/** Three views in one minute; every 1-minute window that covers them ranks /home first. */
public class ActivityExample {
  static final ConcurrentHashMap<Long, String> TOP = new ConcurrentHashMap<>();

  public static void main(String[] args) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
    p.apply(Create.timestamped(view("u1", "/home", 1_000), view("u2", "/home", 2_000), view("u1", "/cart", 3_000)))
        .apply(WebActivity.rankSliding().withSize(Duration.standardMinutes(1)).withPeriod(Duration.standardSeconds(10)))
        .apply(ParDo.of(new DoFn<ActivitySnapshot, Void>() {
          @ProcessElement
          public void process(@Element ActivitySnapshot s) {
            TOP.put(s.getWindowEndMillis(), s.getTopPages(0).getItem() + " x" + s.getTopPages(0).getCount());
          }
        }));
    p.run().waitUntilFinish();
    System.out.println("windows: " + TOP.size() + ", top pages: " + TOP.values());
    if (TOP.size() != 6 || !TOP.values().stream().allMatch("/home x2"::equals)) {
      throw new IllegalStateException("expected 6 windows ranking /home x2 first, got " + TOP);
    }
  }

  static TimestampedValue<PageView> view(String user, String page, long millis) {
    return TimestampedValue.of(PageView.newBuilder().setUserId(user).setPage(page).setEventTimeMillis(millis).build(),
        new Instant(millis));
  }
}
