"""Benchmark: the reel and the whole pipeline, against their baselines, in one run.

Measured interleaved on the demo release (``pipeline.demo_project``) with default settings
(the default voice, captions, motion, variable frame rate):

* ``floor``    the issue's CFR encoder floor: ffmpeg encoding a constant 1080x1920 colour at
               30 fps for the reel's duration, with the narration, as ``../shared/
               MEASUREMENTS.md`` measured it (x264 ``veryfast``, crf 23, High, yuv420p; AAC
               160 kb/s; ``+faststart``): what encoding every frame costs when drawing costs
               nothing. Fixed, so that tuning the reel's own encoder shows in the ratios.
* ``floor_reel`` the same with the reel's own encoder, audio and container settings
               (``pipeline.reel.encode``): reported beside the targets, not for them.
* ``reel``     ``pipeline.reel.render_reel`` on the demo's slides and narration.
* ``moviepy``  the same timeline composed the way a moviepy user writes it, from the same
               parts at the same times (``bench/moviepy_reel.py``: an ImageClip per slide
               background, part and caption, CrossFadeIn/CrossFadeOut, one
               CompositeVideoClip, AudioFileClip, write_videofile with libx264 at the reel's
               preset and crf). ``--zoom`` needs ``--skip moviepy``.
* ``voice``    ``pipeline.voice.narrate`` on the demo's story.
* ``pipeline`` facts from the demo git checkout + ``build_release`` (story, art, voice, reel,
               dubbed reels with ``--languages``, site) into a fresh Jekyll site; run
               ``--pipeline-runs`` times for its P95.

Once per benchmark, the reel is also rendered at a constant 30 fps with ``-preset medium``:
ffmpeg's ``ssim`` filter compares it with the variable-frame-rate reel (both resampled to
30 fps); the same filter compares the reel with the moviepy baseline's output (mean and worst
frame: the baseline shows the same things at the same times). Frames encoded against frames
shown, and the file size, come from ffprobe.

Each job runs in its own Python process, so its CPU time and peak memory are its own. CPU is
the process's, its waited-for children's (``RUSAGE_CHILDREN``: ffmpeg, espeak-ng) and that of
the children still alive when the job ends (the Piper voice server lives until exit:
``bench/tree_memory.py``). Peak memory is reported three ways (``bench/tree_memory.py``): the
job process's own ``VmHWM``, its largest child's own ``VmHWM`` (sampled from ``/proc``), and
the largest sum of the tree's RSS at one moment. The issue's "peak RSS of the pipeline <
500 MB" is checked against the pipeline job's own process (the largest of its runs); the
Piper server and ffmpeg are reported beside it, not added to it. Medians (P95 for the
pipeline) are printed with the ratios the project targets, and everything is written as JSON.
Ratios are of figures measured in the same run, so they hold on a loaded machine better than
the times do (the load is recorded).

    .venv/bin/python bench/bench_pipeline.py --runs 3            # --zoom, --languages es,ca
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tree_memory import TreeMemory, own_peak_mb, unreaped_cpu_s

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOBS = ("floor", "floor_reel", "reel", "moviepy", "voice", "pipeline")
TARGETS = {  # name: (numerator, denominator, comparison, bound)
    "reel/floor": ("reel", "floor", "<=", 0.35),
    "pipeline P95/floor": ("pipeline", "floor", "<=", 0.6),
    "moviepy/reel": ("moviepy", "reel", ">=", 30.0),
}
# The same ratios against the floor with the reel's own encoder settings: not targets, shown so
# that what the fixed floor leaves out (the reel's cheaper settings) can be read off.
SAME_SETTINGS = {"reel/floor_reel": ("reel", "floor_reel"),
                 "pipeline P95/floor_reel": ("pipeline", "floor_reel")}
# The floor as the issue and ../shared/MEASUREMENTS.md define it.
FLOOR_VIDEO = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high",
               "-pix_fmt", "yuv420p"]
FLOOR_AUDIO = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]
RSS_LIMIT_MB = 500
SSIM_TARGET = 0.98


# --- setup (once per benchmark) -----------------------------------------------------------------

def prepare(scratch: Path, zoom: bool = False, languages: list[str] | None = None) -> dict:
    """The demo release's facts, story, slides and narration."""
    from pipeline.art import render_artwork
    from pipeline.config import Config
    from pipeline.demo_project import create_demo_project
    from pipeline.facts import collect_facts
    from pipeline.story import write_story
    from pipeline.voice import narrate

    config = Config(reel={"zoom": zoom}, languages=languages or [])
    project = create_demo_project(scratch / "project")
    facts = collect_facts(repo=project.repo, tag=project.tag, event=project.event)
    story = write_story(facts, config)
    artwork = render_artwork(facts, story, config.brand, scratch / "art")
    narration = narrate(story, config.voice, scratch / "voice", crossfade=config.reel.crossfade,
                        min_duration=config.reel.min_duration,
                        max_duration=config.reel.max_duration)
    return {"project": project, "story": story, "slides": artwork.slides,
            "narration": narration, "config": config,
            "sentences": sum(len(s.narration) for s in story.slides)}


# --- the jobs (each in its own process) -----------------------------------------------------

def _encode_constant_colour(state: dict, out: Path, settings: list[str]) -> None:
    from pipeline.tools import ffmpeg_exe

    narration = state["narration"]
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
         f"color=c=#0f172a:s=1080x1920:r=30:d={narration.duration:.4f}",
         "-i", str(narration.audio), "-map", "0:v", "-map", "1:a", *settings, str(out)],
        check=True)


def job_floor(state: dict, out: Path) -> dict:
    _encode_constant_colour(state, out, [*FLOOR_VIDEO, *FLOOR_AUDIO, "-movflags", "+faststart"])
    return {}


def job_floor_reel(state: dict, out: Path) -> dict:
    from pipeline.reel.encode import audio_codec_args, container_args, video_codec_args

    options = state["config"].reel
    _encode_constant_colour(state, out, [*video_codec_args(options), *audio_codec_args(),
                                         *container_args()])
    return {}


def job_reel(state: dict, out: Path) -> dict:
    from pipeline.reel import render_reel

    render_reel(state["slides"], state["narration"], state["config"].reel, out,
                brand=state["config"].brand)
    return {}


def job_moviepy(state: dict, out: Path) -> dict:
    """moviepy composing the reel's timeline from its parts (``bench/moviepy_reel.py``)."""
    from moviepy_reel import write_moviepy_reel

    config = state["config"]
    write_moviepy_reel(state["slides"], state["narration"], config.reel, config.brand, out)
    return {}


def job_voice(state: dict, out: Path) -> dict:
    from pipeline.voice import narrate

    config = state["config"]
    narrate(state["story"], config.voice, out.parent / "voice", crossfade=config.reel.crossfade,
            min_duration=config.reel.min_duration, max_duration=config.reel.max_duration)
    return {}


def job_pipeline(state: dict, out: Path) -> dict:
    from pipeline.build import build_release
    from pipeline.facts import collect_facts
    from pipeline.site.scaffold import create_site

    project = state["project"]
    start = time.perf_counter()
    facts = collect_facts(repo=project.repo, tag=project.tag, event=project.event)
    facts_s = time.perf_counter() - start
    site = out.parent / "site"
    create_site(site, title="bench")
    result = build_release(facts, state["config"], site, work_dir=out.parent / "work")
    return {"stages_s": {"facts": round(facts_s, 3), **result.timings}}


# --- once per benchmark: what the reel is -----------------------------------------------------

def ssim(first: Path, second: Path) -> tuple[float, float]:
    """ffmpeg's SSIM between two videos, both resampled to 30 fps: (mean, worst frame)."""
    from pipeline.tools import ffmpeg_exe

    with tempfile.TemporaryDirectory(prefix="ssim-") as tmp:
        # The filter's option string is ':'-separated: a bare file name keeps it simple.
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(first), "-i", str(second),
             "-lavfi", "[0:v]fps=30[a];[1:v]fps=30[b];[a][b]ssim=stats_file=frames.log",
             "-f", "null", "-"], cwd=tmp, check=True)
        frames = [float(match) for match in re.findall(
            r"All:([0-9.]+)", (Path(tmp) / "frames.log").read_text())]
    return statistics.fmean(frames), min(frames)


def reel_figures(state: dict, scratch: Path, moviepy: Path | None) -> dict:
    """Frames encoded vs shown and size of the reel; SSIM against a constant-30-fps medium
    encode of the same timeline, and against the moviepy baseline's output (``moviepy``):
    how closely it shows the same things at the same times."""
    from pipeline.reel import render_reel
    from pipeline.tools import probe

    config = state["config"]
    variable = render_reel(state["slides"], state["narration"], config.reel,
                           scratch / "figures" / "vfr.mp4", brand=config.brand).video
    options = config.reel.model_copy(update={"frame_rate": "constant", "preset": "medium"})
    constant = render_reel(state["slides"], state["narration"], options,
                           scratch / "figures" / "cfr-medium.mp4", brand=config.brand).video
    similar, _ = ssim(variable, constant)

    def frames(path: Path) -> int:
        video = next(s for s in probe(path)["streams"] if s["codec_type"] == "video")
        return int(video["nb_frames"])

    figures = {"frames_encoded": frames(variable),
               "frames_shown": round(state["narration"].duration * 30),
               "size_mb": round(variable.stat().st_size / 2**20, 2),
               "cfr_medium_frames": frames(constant),
               "cfr_medium_size_mb": round(constant.stat().st_size / 2**20, 2),
               "ssim_vs_cfr_medium": round(similar, 5)}
    if moviepy is not None:
        mean, worst = ssim(variable, moviepy)
        figures |= {"moviepy_frames": frames(moviepy), "ssim_vs_moviepy": round(mean, 5),
                    "ssim_vs_moviepy_worst_frame": round(worst, 5)}
    return figures


def run_job(name: str, state_file: Path, out: Path) -> None:
    """Child process: run one job, print its measurements as one JSON line (the driver adds
    the tree's memory, sampled from outside)."""
    state = pickle.loads(state_file.read_bytes())
    job = globals()[f"job_{name}"]
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    extra = job(state, out)
    wall = time.perf_counter() - start
    unreaped = unreaped_cpu_s()  # e.g. the Piper server, alive until exit
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (own.ru_utime - before.ru_utime + own.ru_stime - before.ru_stime
           + kids.ru_utime + kids.ru_stime + unreaped)
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rss_self_mb": own_peak_mb(),
                      "rss_child_rusage_mb": kids.ru_maxrss / 1024,
                      "cpu_unreaped_children_s": unreaped, **extra}), flush=True)


# --- the driver ---------------------------------------------------------------------------

def job_environment() -> dict[str, str]:
    """The jobs run releasecast as installed, its modules' bytecode compiled once (pip compiles
    it when it installs a package): a checkout run with PYTHONDONTWRITEBYTECODE (this machine
    sets it, and so does the Action's image, which ships the bytecode it uses) would compile
    every module it imports on every run."""
    env = {name: value for name, value in os.environ.items()
           if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pipeline"),
                    str(ROOT / "bench")], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def measure(name: str, state_file: Path, scratch: Path, run: int, env: dict[str, str]) -> dict:
    folder = scratch / f"{name}-{run}"
    folder.mkdir()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--job", name, "--state", str(state_file),
         "--out", str(folder / "out.mp4")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env)
    with TreeMemory(proc.pid) as memory:
        stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"bench: job {name} failed:\n{stderr[-2000:]}")
    sample = json.loads(stdout.strip().splitlines()[-1])
    child, child_mb = memory.largest_child()
    return {**sample, "rss_child_mb": child_mb, "rss_child": child,
            "rss_tree_mb": memory.tree_peak_mb, "pss_tree_mb": memory.tree_pss_peak_mb}


def summarize(samples: dict[str, list[dict]]) -> dict:
    summary: dict[str, dict] = {}
    for name, runs in samples.items():
        summary[name] = {
            key: round(statistics.median(r[key] for r in runs), 3)
            for key in ("wall_s", "cpu_s", "rss_self_mb", "rss_child_mb", "rss_tree_mb",
                        "pss_tree_mb")
        }
        # Peaks: the largest of the runs, not their median.
        summary[name]["rss_self_max_mb"] = round(max(r["rss_self_mb"] for r in runs), 1)
        largest = max(runs, key=lambda r: r["rss_child_mb"])
        summary[name]["rss_child_max_mb"] = round(largest["rss_child_mb"], 1)
        summary[name]["rss_child"] = largest["rss_child"]
        summary[name]["rss_tree_max_mb"] = round(max(r["rss_tree_mb"] for r in runs), 1)
        summary[name]["pss_tree_max_mb"] = round(max(r["pss_tree_mb"] for r in runs), 1)
        walls = sorted(r["wall_s"] for r in runs)
        summary[name]["p95_wall_s"] = round(walls[math.ceil(0.95 * len(walls)) - 1], 3)
        if "stages_s" in runs[0]:
            stages = runs[0]["stages_s"].keys()
            summary[name]["stages_s"] = {
                stage: round(statistics.median(r["stages_s"][stage] for r in runs), 3)
                for stage in stages
            }
    return summary


def ratios(summary: dict) -> dict:
    result = {}
    for label, (top, bottom, op, bound) in TARGETS.items():
        if top not in summary or bottom not in summary:
            continue
        metrics = ("p95_wall_s", "cpu_s") if "P95" in label else ("wall_s", "cpu_s")
        for metric in metrics:
            # A P95 is of the numerator only: the baseline is its median (the floor's own P95
            # over a few runs is its worst run, often the first, cold one).
            value = summary[top][metric] / summary[bottom][metric.replace("p95_", "")]
            met = value <= bound if op == "<=" else value >= bound
            result[f"{label} ({metric[:-2].replace('p95_', '')})"] = {"value": round(value, 2),
                                                   "target": f"{op} {bound}", "met": met}
    return result


def same_settings_ratios(summary: dict) -> dict[str, float]:
    result = {}
    for label, (top, bottom) in SAME_SETTINGS.items():
        if top in summary and bottom in summary:
            metric = "p95_wall_s" if "P95" in label else "wall_s"
            result[f"{label} (wall)"] = round(summary[top][metric] / summary[bottom]["wall_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each job (default 3)")
    parser.add_argument("--skip", action="append", default=[], choices=JOBS,
                        help="leave a job out (repeatable), e.g. --skip moviepy")
    parser.add_argument("--moviepy-runs", type=int, default=1,
                        help="runs of the moviepy baseline (default 1: it takes minutes)")
    parser.add_argument("--pipeline-runs", type=int, default=10,
                        help="runs of the whole pipeline, for its P95 (default 10)")
    parser.add_argument("--zoom", action="store_true", help="render with reel.zoom: true")
    parser.add_argument("--languages", default="",
                        help="dubbed reels in the pipeline job, e.g. es,ca")
    parser.add_argument("--json", type=Path, help="result file (default bench/results/...)")
    parser.add_argument("--job", choices=JOBS, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        run_job(args.job, args.state, args.out)
        return

    jobs = [job for job in JOBS if job not in args.skip]
    if args.zoom and "moviepy" in jobs:
        parser.error("the moviepy baseline does not compose reel.zoom: add --skip moviepy")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="releasecast-bench-") as tmp:
        scratch = Path(tmp)
        started = time.perf_counter()
        languages = [code for code in args.languages.split(",") if code]
        state = prepare(scratch, zoom=args.zoom, languages=languages)
        print(f"setup: {time.perf_counter() - started:.1f} s; reel "
              f"{state['narration'].duration:.1f} s, {len(state['slides'])} slides, "
              f"{state['sentences']} sentences", flush=True)
        state_file = scratch / "state.pickle"
        state_file.write_bytes(pickle.dumps(state))
        samples: dict[str, list[dict]] = {job: [] for job in jobs}
        env = job_environment()
        rounds = max(args.runs, args.pipeline_runs if "pipeline" in jobs else 0)
        for run in range(rounds):
            for job in jobs:  # interleaved: each run measures every job once
                wanted = {"pipeline": args.pipeline_runs, "moviepy": args.moviepy_runs}
                if run >= wanted.get(job, args.runs):
                    continue
                sample = measure(job, state_file, scratch, run, env)
                samples[job].append(sample)
                print(f"run {run + 1}/{rounds} {job:10s} wall {sample['wall_s']:6.2f} s  "
                      f"cpu {sample['cpu_s']:6.2f} s  rss own {sample['rss_self_mb']:4.0f} / "
                      f"child {sample['rss_child_mb']:4.0f} ({sample['rss_child'] or '-'}) / "
                      f"tree {sample['rss_tree_mb']:4.0f} MB (PSS {sample['pss_tree_mb']:4.0f})",
                      flush=True)
        duration = state["narration"].duration
        figures = reel_figures(state, scratch,
                               scratch / "moviepy-0" / "out.mp4" if "moviepy" in jobs else None)
    summary = summarize(samples)
    checks = ratios(summary)
    informative = same_settings_ratios(summary)
    if "pipeline" in summary:  # the pipeline's own process: what the target is about
        peak = summary["pipeline"]["rss_self_max_mb"]
        checks["pipeline peak RSS MB"] = {"value": peak, "target": f"< {RSS_LIMIT_MB}",
                                          "met": peak < RSS_LIMIT_MB}
        # The whole tree, the Piper servers included, each shared page counted once.
        whole = summary["pipeline"]["pss_tree_max_mb"]
        checks["pipeline tree peak PSS MB"] = {"value": whole, "target": f"< {RSS_LIMIT_MB}",
                                               "met": whole < RSS_LIMIT_MB}
    checks["SSIM vs CFR medium"] = {"value": figures["ssim_vs_cfr_medium"],
                                    "target": f">= {SSIM_TARGET}",
                                    "met": figures["ssim_vs_cfr_medium"] >= SSIM_TARGET}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "reel_seconds": duration, "zoom": args.zoom, "languages": languages,
        "runs": args.runs, "pipeline_runs": args.pipeline_runs, "reel": figures,
        "medians": summary,
        "targets": checks,
        "same_settings_ratios": informative,
        "samples": samples,
    }
    print("\nmedians:")
    for name, values in summary.items():
        line = (f"  {name:10s} wall {values['wall_s']:6.2f} s  cpu {values['cpu_s']:6.2f} s  "
                f"peak rss {values['rss_self_max_mb']:4.0f} MB own, "
                f"{values['rss_child_max_mb']:4.0f} MB largest child "
                f"({values['rss_child'] or '-'}), {values['rss_tree_max_mb']:4.0f} MB tree, "
                f"{values['pss_tree_max_mb']:4.0f} MB tree PSS")
        if name == "pipeline":
            line += f"  (P95 wall {values['p95_wall_s']:.2f} s)"
        print(line)
        if "stages_s" in values:
            print("            stages: " + ", ".join(
                f"{k} {v:.2f}" for k, v in values["stages_s"].items()))
    print("reel: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print("targets:")
    for label, check in checks.items():
        print(f"  {label:28s} {check['value']:>7}  target {check['target']:7s} "
              f"{'ok' if check['met'] else 'MISSED'}")
    for label, value in informative.items():
        print(f"  {label:28s} {value:>7}  (the reel's own encoder settings in both; no target)")
    path = args.json or ROOT / "bench" / "results" / (
        f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
