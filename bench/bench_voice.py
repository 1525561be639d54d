"""Benchmark: the voices side by side on the demo release, in one run.

For each voice (espeak-ng, Piper en_US-joe-medium), in its own Python process so that its time
and memory are its own:

* the voice stage (``pipeline.voice.narrate`` on the demo's story): wall and CPU seconds
  (the process and its children: espeak-ng, Piper's server, ffmpeg), peak RSS of the process
  and of its largest child (``RUSAGE_CHILDREN``, read after the Piper server has stopped);
* DNSMOS (OVRL, SIG, BAK, P.808) of the speech as synthesized (laid out, not normalized), of
  the normalized narration WAV, and of the final reel's audio track (AAC, rendered by
  ``pipeline.reel.render_reel``): what the loudness processing and the encoder cost;
* caption statistics: cues, longest cue, fastest reading rate, longest line, two-line cues.

    .venv/bin/python bench/bench_voice.py [--json out.json] [--voices piper,espeak]

DNSMOS needs the dev extra (speechmos, librosa). Targets for the default voice: P.808 >= 4.1
and OVRL >= 3.1 on the reel's track, and at most 0.15 OVRL lost against the raw speech.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

JOB = r"""
import json, os, resource, sys, time
from pathlib import Path
from pipeline.config import Config, VoiceOptions
from pipeline.demo_project import create_demo_project
from pipeline.facts.collect import collect_facts
from pipeline.story import write_story

backend, work = sys.argv[1], Path(sys.argv[2])
project = create_demo_project(work / "project")
facts = collect_facts(repo=project.repo, tag=project.tag, event=project.event)
config = Config(voice=VoiceOptions(backend=backend))
story = write_story(facts, config)

from pipeline.voice import narrate
from pipeline.voice.backends import piper

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

cpu0, t0 = cpu(), time.perf_counter()
narration = narrate(story, config.voice, work / "voice", crossfade=config.reel.crossfade,
                    min_duration=config.reel.min_duration, max_duration=config.reel.max_duration,
                    raw_out=work / "raw.wav")
wall = time.perf_counter() - t0
piper.close_servers()  # its peak memory is then in RUSAGE_CHILDREN
voice_cpu = cpu() - cpu0
rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rss_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

from pipeline.art import render_artwork
from pipeline.reel import render_reel
artwork = render_artwork(facts, story, config.brand, work / "art")
reel = render_reel(artwork.slides, narration, config.reel, work / "reel.mp4", brand=config.brand)
cues = narration.cues
print(json.dumps({
    "backend": backend, "wall_s": wall, "cpu_s": voice_cpu, "rss_mb": rss_self,
    "child_rss_mb": rss_child, "speech_s": sum(c.end - c.start for c in cues),
    "duration_s": narration.duration, "sentences": len({c.sentence for c in cues}),
    "raw": str(work / "raw.wav"), "normalized": str(narration.audio), "reel": str(reel.video),
    "captions": {
        "cues": len(cues),
        "two_line_cues": sum(1 for c in cues if len(c.lines) > 1),
        "longest_cue_s": max(c.end - c.start for c in cues),
        "shortest_cue_s": min(c.end - c.start for c in cues),
        "fastest_cps": max(len(c.text) / (c.end - c.start) for c in cues),
        "longest_line_chars": max(len(line) for c in cues for line in (c.lines or [c.text])),
    },
}))
"""


def run_voice(backend: str, work: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", JOB, backend, str(work)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"bench_voice: the {backend} job failed: {proc.stderr.strip()[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scores(path: str) -> dict[str, float]:
    from pipeline.voice.dnsmos import score

    s = score(Path(path))
    return {"ovrl": round(s.ovrl, 3), "sig": round(s.sig, 3), "bak": round(s.bak, 3),
            "p808": round(s.p808, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", default="espeak,piper")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        # Every job runs before anything is scored: a job forked from a process that holds the
        # DNSMOS models would inherit its peak RSS (ru_maxrss survives exec).
        jobs = [run_voice(backend, Path(tmp) / backend) for backend in args.voices.split(",")]
        for result in jobs:
            for stage in ("raw", "normalized", "reel"):
                result[f"dnsmos_{stage}"] = scores(result.pop(stage))
            result["ovrl_cost"] = round(result["dnsmos_raw"]["ovrl"]
                                        - result["dnsmos_reel"]["ovrl"], 3)
            results.append(result)
    report = {"load": os.getloadavg()[0], "cpus": os.cpu_count(), "results": results,
              "when": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    print(f"{'voice':8} {'wall s':>7} {'CPU s':>6} {'RSS MB':>14} | "
          f"{'DNSMOS OVRL/P.808: raw':>22} {'normalized':>11} {'reel AAC':>10} {'cost':>5} | "
          f"{'cues':>4} {'longest':>7} {'max cps':>7} {'line':>4}")
    for r in results:
        c = r["captions"]

        def pair(d: dict[str, float]) -> str:
            return f"{d['ovrl']:.2f}/{d['p808']:.2f}"

        print(f"{r['backend']:8} {r['wall_s']:7.2f} {r['cpu_s']:6.2f} "
              f"{r['rss_mb']:6.0f} / {r['child_rss_mb']:5.0f} | {pair(r['dnsmos_raw']):>22} "
              f"{pair(r['dnsmos_normalized']):>11} {pair(r['dnsmos_reel']):>10} "
              f"{r['ovrl_cost']:5.2f} | {c['cues']:4d} {c['longest_cue_s']:7.2f} "
              f"{c['fastest_cps']:7.1f} {c['longest_line_chars']:4d}")
    print(f"(load {report['load']:.2f} on {report['cpus']} CPUs, {report['when']} UTC)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
