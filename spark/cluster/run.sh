#!/usr/bin/env bash
# A real Spark standalone cluster on this machine, from the Maven dependencies alone, to test spark-detect the way a
# cluster runs it: a Master and N Workers bound to 127.0.0.1, each Worker in its own mount namespace where the model's
# folder is an empty tmpfs (so the model must travel with the job), spark-submit in client mode, optionally an
# executor and then a Worker killed (kill -9) mid-job; then every image must be in the output exactly once and every
# row must equal local mode's. Stops everything, wipes the work dirs, prints a one-line JSON summary (exit 0 = passed).
# Usage: spark/cluster/run.sh [--images N] [--workers N] [--faults none|executor|both] [--source DIR]
# Needs root for unshare --mount (the CI and these machines run as root); JDK 17 and Maven only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
images=12; workers=2; faults=executor; source="$here/src/test/resources/data/coco_val2017_47/images/val2017"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --images) images="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --faults) faults="$2"; shift 2 ;;
    --source) source="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
t_start=$(date +%s.%N)
if [[ ! -f "$here/spark/target/dydet-spark.jar" || ! -d "$here/spark/target/lib" ]]; then
  (cd "$here" && mvn -q -B -DskipTests install >&2 && mvn -q -B -DskipTests -f spark/pom.xml package >&2)
fi
work="$(mktemp -d /tmp/dydet-cluster.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pkill -9 -f "dydet-cluster-$$" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# SPARK_HOME: jars/ is the Spark module's runtime classpath (Spark, the dydet core and its dependencies)
home="$work/spark-home"; mkdir -p "$home/jars" "$home/bin" "$home/conf"
for j in "$here"/spark/target/lib/*.jar "$here/spark/target/dydet-spark.jar"; do ln -s "$j" "$home/jars/"; done
flags="$(sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' "$here/spark/pom.xml")"
cat > "$home/bin/spark-class" <<'SH'
#!/usr/bin/env bash
# Spark's launcher prints the command NUL-separated after a "\0\n" marker line; run it.
set -euo pipefail
cmd=()
while IFS= read -r -d '' arg; do cmd+=("$arg"); done < <(java -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@")
start=0
for i in "${!cmd[@]}"; do [[ "${cmd[$i]}" == $'\n' ]] && start=$((i + 1)); done
exec "${cmd[@]:$start}"
SH
chmod +x "$home/bin/spark-class"
export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$work/logs" SPARK_NO_DAEMONIZE=1
mkdir -p "$work/logs" "$work/executor-tmp"
# the model and the images: the model in a folder the workers will not see
model_dir="$work/model"; mkdir -p "$model_dir"
cp "$here/src/test/resources/golden/dy-yolov7-w025.safetensors" "$model_dir/model.safetensors"
cp "$here/src/test/resources/golden/dy-yolov7-w025.yaml" "$model_dir/model.yaml"
mkdir -p "$work/images"
ls "$source" | sort | head -n "$images" | while read -r f; do cp "$source/$f" "$work/images/"; done
ls "$work/images" | sed "s|^|$work/images/|" > "$work/images.txt"
port=$((20000 + RANDOM % 20000))
java_opts="-Xmx512m -Ddydet-cluster-$$ $flags"
t0=$(date +%s.%N)
java $java_opts -cp "$home/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 \
  > "$work/logs/master.log" 2>&1 &
pids+=($!); disown $!
for _ in $(seq 1 60); do grep -q "I have been elected leader" "$work/logs/master.log" 2>/dev/null && break; sleep 0.5; done
for w in $(seq 1 "$workers"); do
  mkdir -p "$work/worker$w"
  unshare --mount --propagation private sh -c "mount -t tmpfs none '$model_dir' && exec java $java_opts \
    -Dspark.worker.cleanup.enabled=true -cp '$home/jars/*' org.apache.spark.deploy.worker.Worker \
    spark://127.0.0.1:$port --host 127.0.0.1 --cores 1 --memory 3g --webui-port 0 --work-dir '$work/worker$w'" \
    > "$work/logs/worker$w.log" 2>&1 &
  pids+=($!); disown $!
done
for _ in $(seq 1 60); do
  [[ $(grep -c "Successfully registered with master" "$work"/logs/worker*.log 2>/dev/null | awk -F: '{s+=$2} END {print s+0}') -ge $workers ]] && break
  sleep 0.5
done
t_cluster=$(date +%s.%N)
# the job, in client mode: the driver reads the model and ships it
java -Xmx2g $flags -Ddydet-cluster-$$ -Dai.djl.offline=true -cp "$home/jars/*" org.apache.spark.deploy.SparkSubmit \
  --master "spark://127.0.0.1:$port" --deploy-mode client --class io.dydet.spark.SparkDetectCommand \
  --conf spark.executor.memory=2g --conf spark.executor.cores=1 --conf spark.task.maxFailures=8 \
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Djava.io.tmpdir=$work/executor-tmp $flags" \
  "$here/spark/target/dydet-spark.jar" --weights "$model_dir/model.safetensors" --cfg "$model_dir/model.yaml" \
  --img 192 --batch 2 --threads 1 --partitions "$images" --source "$work/images.txt" --out "$work/out" --format json \
  > "$work/logs/driver.log" 2>&1 &
driver=$!
killed_executor=0; killed_worker=0
if [[ $faults != none ]]; then
  # the first executor is killed 25 s after it starts (loading the model or running its first tasks); with
  # --faults both, then a whole Worker with its executors
  for _ in $(seq 1 240); do
    e=$(pgrep -f "CoarseGrainedExecutorBackend" | head -1 || true)
    if [[ -n "$e" ]]; then
      sleep "${DYDET_CLUSTER_KILL_AFTER:-12}"
      if kill -9 "$e" 2>/dev/null; then killed_executor=1; else echo "executor $e had already exited" >&2; fi
      break
    fi
    sleep 0.5
  done
  if [[ $faults == both && $workers -gt 1 ]]; then
    sleep 5
    wpid=$(pgrep -f "deploy.worker.Worker" | head -1 || true)
    [[ -n "$wpid" ]] && kill -9 "$wpid" && killed_worker=1
  fi
fi
rc=0; wait "$driver" || rc=$?
t_job=$(date +%s.%N)
# the same job in local mode, for the rows to compare against
java -Xmx2g $flags -Ddydet-cluster-$$ -Dai.djl.offline=true -cp "$home/jars/*" io.dydet.spark.SparkDetectCommand \
  --master 'local[2]' --weights "$model_dir/model.safetensors" --cfg "$model_dir/model.yaml" --img 192 --batch 2 \
  --threads 1 --partitions 2 --source "$work/images.txt" --out "$work/local" --format json > "$work/logs/local.log" 2>&1 || true
python3 - "$work" "$rc" "$images" "$killed_executor" "$killed_worker" "$t_start" "$t0" "$t_cluster" "$t_job" <<'PY'
import glob, json, os, sys
work, rc, images, ke, kw, t_start, t0, t_cluster, t_job = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), *map(float, sys.argv[6:])
def load(folder):
    out = []
    for f in glob.glob(f"{work}/{folder}/detections/part-*"):
        out += [json.loads(l) for l in open(f) if l.strip()]
    return out
rows, local = load("out"), {os.path.basename(r["file"]): r for r in load("local")}
# rows equal local mode's: same route and boxes; coordinates within 0.01 px, scores within 1e-4 (batching)
worst, mismatched = 0.0, []
for r in rows:
    l = local.get(os.path.basename(r["file"]))
    if l is None or l.get("route") != r.get("route") or len(l["detections"]) != len(r["detections"]):
        mismatched.append(os.path.basename(r["file"])); continue
    for a, b in zip(r["detections"], l["detections"]):
        d = max([abs(x - y) for x, y in zip(a["box"], b["box"])] + [abs(a["confidence"] - b["confidence"]) * 100])
        worst = max(worst, d)
        if d > 0.01: mismatched.append(os.path.basename(r["file"])); break
names = [os.path.basename(r["file"]) for r in rows]
# executors write the shipped model under their java.io.tmpdir: proof that it travelled with the job
shipped = bool(glob.glob(f"{work}/executor-tmp/dydet-models/*/model.safetensors"))
ok = shipped and not mismatched and len(local) == images and rc == 0 and len(rows) == images and len(set(names)) == images and all(r.get("error") is None for r in rows)
print(json.dumps({"passed": ok, "exit": rc, "model_shipped": shipped, "images": images, "rows": len(rows), "distinct": len(set(names)),
                  "errors": sum(r.get("error") is not None for r in rows),
                  "equal_to_local": len(local) == images and not mismatched, "worst_difference_px": round(worst, 5), "killed_executor": bool(ke),
                  "killed_worker": bool(kw), "cluster_start_s": round(t_cluster - t0, 1),
                  "job_s": round(t_job - t_cluster, 1), "total_s": round(t_job - t_start, 1),
                  "per_image_s": round((t_job - t_cluster) / max(images, 1), 2)}))
sys.exit(0 if ok else 1)
PY
