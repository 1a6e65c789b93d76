package io.dydet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.dydet.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** serve-benchmark's rows as ServeBenchmarkCommand writes them (Jackson by accessor, snake case): names and order are the file's format. */
class ServeBenchmarkJsonTest {
    @Test
    void rowsKeepTheirJsonFields() throws Exception {
        ObjectMapper mapper = Json.MAPPER.copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        LoadTest.Result r = new LoadTest.Result(
                new LoadTest.Result.Load(4, 100, 1, 10.0, 10.0), new LoadTest.Result.Latency(50.5, 90.25, 99.125), 2.5);
        String json = mapper.writeValueAsString(List.of(new ServeBenchmark.Row(8, 5, r)));
        assertEquals(
                "[{\"max_batch\":8,\"max_wait_ms\":5,\"result\":{\"clients\":4,\"requests\":100,\"errors\":1,\"seconds\":10.0,"
                        + "\"requests_per_second\":10.0,\"p50_ms\":50.5,\"p90_ms\":90.25,\"p99_ms\":99.125,\"mean_batch\":2.5}}]",
                json);
    }
}
