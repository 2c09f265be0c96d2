"""End-to-end speed of theme analysis on synthetic short opinions (≈18 characters, built
from templates): clean → segment → themes → labels, at 10k, 100k and 1M opinions, each in
a fresh process so that its peak memory (RSS) is its own.

    .venv/bin/python bench/themes_speed.py            # 10k, 100k, 1M
    .venv/bin/python bench/themes_speed.py --sizes 10000
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.text import Segmenter, clean_opinion
from analysis.themes import discover_themes

TOPICS = {
    "停车": ["小区停车难", "车位太少", "乱停车没人管", "停车费太贵", "路边违停严重"],
    "电梯": ["老楼加装电梯", "加装电梯审批慢", "电梯经常故障", "电梯维修不及时"],
    "办事": ["办事效率低", "窗口排长队", "材料繁琐来回跑", "一网通办很方便", "审批流程太长"],
    "环境": ["垃圾清运不及时", "河道有臭味", "餐饮油烟扰民", "夜间施工噪音大", "绿化带没人修剪"],
    "交通": ["公交线路太少", "早高峰堵车严重", "红绿灯时间太短", "地铁站太远"],
    "教育": ["学位紧张入学难", "幼儿园收费高", "课后服务不够", "学区划分不合理"],
    "医疗": ["看病排队时间长", "社区医院药品少", "医保报销太麻烦", "挂号难"],
    "企业": ["融资难融资贵", "惠企政策落实慢", "涉企检查太多", "政策兑现不及时"],
    "物业": ["物业费太高", "物业服务差", "小区绿化没人管", "维修基金用不了"],
    "养老": ["老年食堂太少", "居家养老服务不足", "社区养老设施少", "高龄津贴发放慢"],
}
PREFIXES = ["", "", "我们", "现在", "最近", "这边", "我家附近"]
SUFFIXES = ["", "，希望尽快解决", "，建议改进", "，很不满意", "，希望重视", "！", "，谢谢"]


PLACES = ["幸福路社区", "东区", "开发区", "老城区", "新村小区", "人民路", "我们街道"]


def synthetic_opinions(n: int, seed: int = 0) -> list[str]:
    """One or two complaints of one topic, with a prefix, a place and a closing phrase."""
    rng = random.Random(seed)
    topics = list(TOPICS.values())
    opinions = []
    for _ in range(n):
        phrases = rng.choice(topics)
        body = rng.choice(phrases)
        if rng.random() < 0.3:
            body += "，" + rng.choice(phrases)
        opinions.append(rng.choice(PREFIXES) + rng.choice(PLACES) + body + rng.choice(SUFFIXES))
    return opinions


def run_once(n: int) -> None:
    texts = synthetic_opinions(n)
    chars = sum(map(len, texts)) / n
    segmenter = Segmenter()
    segmenter.warm_up()
    start = time.perf_counter()
    cleaned = [clean_opinion(text) for text in texts]
    after_clean = time.perf_counter()
    tokens = segmenter.segment(cleaned)
    after_segment = time.perf_counter()
    run = discover_themes(cleaned, tokens=tokens, seed=0)
    end = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest = max(theme.size for theme in run.themes) / n
    print(
        f"{n:>9,} opinions ({chars:.1f} chars): clean {after_clean - start:5.1f}s  "
        f"segment {after_segment - after_clean:5.1f}s  themes+labels {end - after_segment:5.1f}s  "
        f"total {end - start:5.1f}s  peak RSS {peak_mb:,.0f} MB  "
        f"themes {len(run.themes)}, largest {largest:.1%}",
        flush=True,
    )
    print("   e.g. " + " | ".join(theme.label for theme in run.themes[:6]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        run_once(args.single)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--single", str(size)], check=True)


if __name__ == "__main__":
    main()
