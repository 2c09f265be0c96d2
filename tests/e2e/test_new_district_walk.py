"""Issue 14, done when: a new district sets itself up in a real browser from an empty database.

The only thing done outside the browser is what a district's IT staff do on the server: the first
administrator is created with `survey-app create-user` and a `survey-app worker` runs the
background jobs. Everything else is clicked by the administrator: two-step enrolment, unit
classes and units, a roster XLSX with bad rows (errors shown in Chinese, error report repeating
the original rows), the fixed file with a confirmed change, a questionnaire (tests/e2e/
builder_steps.py), a campaign, a previewed and fingerprinted stratified draw, an open link
answered from a second browser, a confirmed close and a reopen. Every admin page passes axe, and
key pages are photographed at 1280 and 375 px into /tmp/walk14/.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from survey_app.services import totp
from tests.e2e.axe import assert_accessible
from tests.e2e.builder_steps import build_district_questionnaire
from tests.e2e.conftest import Site, _server_environment
from tests.web.test_roster_pages import uscc

ADMIN, PASSWORD = "zhangsan", "Jiangbei-2027-Guanli!"
SHOTS = Path("/tmp/walk14")
CLI = Path(sys.executable).with_name("survey-app")
UNITS = [
    ("U01", "区发展和改革局", "职能部门"), ("U02", "区行政审批局", "职能部门"),
    ("U03", "区市场监督管理局", "职能部门"), ("S01", "城关街道办事处", "街道"),
    ("S02", "江南街道办事处", "街道"), ("P01", "高新区管委会", "园区"),
]
RETIRED = ("U09", "区临时工作专班")
HEADER = ["统一社会信用代码", "企业名称", "行业", "规模", "园区/街道"]
PLACES = ["城关街道", "江南街道", "高新区"]
QUESTIONNAIRE = "2027年度营商环境满意度调查"


@pytest.fixture
def district(site: Site, settings: Any) -> Iterator[Site]:
    """The server-side setup of a new district: its first administrator from the CLI, and the
    background worker that runs roster imports."""
    env = _server_environment(settings)
    created = subprocess.run(
        [str(CLI), "create-user", ADMIN, "--role", "admin", "--name", "张三", "--password-stdin"],
        input=PASSWORD + "\n", env=env, capture_output=True, text=True, check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "已创建账号" in created.stdout
    worker = subprocess.Popen([str(CLI), "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        yield site
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Short texts (a place, 未开始, a button, a recovery code) laid out on more than one line.
_BROKEN_WORDS = """([selector, longest]) => [...document.querySelectorAll(selector)]
    .filter(el => { const t = el.textContent.trim(); return t.length > 1 && t.length <= longest; })
    .filter(el => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const rects = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            rects.push(...[...range.getClientRects()].filter(r => r.width > 0));
        }
        rects.sort((a, b) => a.top - b.top);
        return rects.some(r => r.top > rects[0].top + 0.6 * rects[0].height);
    })
    .map(el => el.textContent.trim())"""


async def submit(page: Any, target: Any) -> None:
    """Click a button (by its exact name, or a locator) and wait for the page it leads to."""
    if isinstance(target, str):
        target = page.get_by_role("button", name=target, exact=True)
    async with page.expect_navigation():
        await target.click()


async def check_page(page: Any, name: str) -> None:
    """axe on the admin page, and photos at desktop and phone width for a human to judge."""
    await assert_accessible(page, name)
    broken = await page.evaluate(_BROKEN_WORDS, ["table.grid td, table.grid button", 6])
    assert broken == [], f"{name}: short texts broken over lines at 1280 px: {broken}"
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (375, 667)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 375:
            sideways = await page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert sideways <= 0, f"{name} scrolls sideways at 375 px"
    await page.set_viewport_size({"width": 1280, "height": 800})


async def main_text(page: Any) -> str:
    return str(await page.locator("main").inner_text())


async def log_in_and_enrol(page: Any) -> None:
    await page.goto("/")
    assert "/login" in page.url
    await check_page(page, "01-login")
    await page.fill("input[name=username]", ADMIN)
    await page.fill("input[name=password]", PASSWORD)
    await submit(page, "登录")
    # Administrators must use two-step verification: the site leads them through enrolment.
    assert "/account/mfa" in page.url
    text = await main_text(page)
    assert "必须使用两步验证" in text
    await check_page(page, "02-mfa-enrol")
    key = re.search(r"密钥：\s*([A-Z2-7 ]+)", text).group(1).replace(" ", "")  # type: ignore[union-attr]
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    await page.fill("input[name=code]", totp.totp(secret, time.time()))
    await submit(page, "启用两步验证")
    codes = await page.locator("main ol li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){2}", c) for c in codes)
    await check_page(page, "03-recovery-codes")
    await page.set_viewport_size({"width": 375, "height": 667})
    assert await page.evaluate(_BROKEN_WORDS, ["ol.codes li", 20]) == []  # was QUKC-R8EK-/X5YE
    await page.set_viewport_size({"width": 1280, "height": 800})
    await submit(page, page.get_by_role("link", name="我已保存，继续"))
    assert "您好，张三" in await main_text(page)
    await check_page(page, "04-home-empty")


async def set_up_units(page: Any) -> None:
    await page.goto("/admin/units")
    assert "还没有单位类别：请先在上方“单位类别”中添加类别" in await main_text(page)
    await check_page(page, "05-units-empty")
    for category in ("职能部门", "街道", "园区"):
        await page.fill("input[aria-label=类别名称]", category)
        await submit(page, "添加类别")
        assert "已添加类别" in await main_text(page)
    form = page.locator("form[action='/admin/units']")
    for code, name, category in UNITS:
        await form.get_by_label("单位代码").fill(code)
        await form.get_by_label("单位名称").fill(name)
        await form.get_by_label("类别").select_option(label=category)
        await submit(page, "创建单位")
        assert "已创建单位" in await main_text(page)
    # A duplicate code is refused in Chinese and keeps what was typed.
    await form.get_by_label("单位代码").fill("U01")
    await form.get_by_label("单位名称").fill("重复的单位")
    await form.get_by_label("类别").select_option(label="职能部门")
    await submit(page, "创建单位")
    assert "单位未创建" in await main_text(page)
    assert await form.get_by_label("单位名称").input_value() == "重复的单位"
    assert await form.get_by_label("类别").input_value() == "职能部门"
    await check_page(page, "06-units-error")
    # A unit set up by mistake is deactivated (reversible), so it is rated nowhere.
    await form.get_by_label("单位代码").fill(RETIRED[0])
    await form.get_by_label("单位名称").fill(RETIRED[1])
    await form.get_by_label("类别").select_option(label="职能部门")
    await submit(page, "创建单位")
    row = page.locator("table.grid tbody tr", has_text=RETIRED[1])
    await submit(page, row.get_by_role("button", name="停用"))
    # Deactivation first says what it affects and waits for a second click.
    assert "目前没有进行中的调查评价该单位" in await main_text(page)
    await check_page(page, "07a-unit-deactivate")
    await submit(page, "确认停用")
    assert "停用" in await row.locator("td").nth(3).inner_text()
    statuses = await page.locator("table.grid tbody tr td:nth-child(4)").all_inner_texts()
    assert sorted(statuses) == ["停用"] + ["参加考评"] * len(UNITS)
    await check_page(page, "07-units")


def roster_rows() -> list[list[str]]:
    industries = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业"]
    return [[uscc(i), f"江北测试企业{i:03d}有限公司", industries[i % 3], ["中型", "小型"][i % 2],
             PLACES[i % 3]] for i in range(1, 41)]


async def upload_roster(page: Any, data: bytes, name: str) -> None:
    await page.goto("/roster/import")
    path = SHOTS / name
    path.write_bytes(data)
    await page.select_option("select[name=kind]", "enterprise")
    await page.set_input_files("input[type=file]", str(path))
    await submit(page, "上传并导入")
    # The job page refreshes itself until the worker is done.
    await page.get_by_role("link", name="查看结果").wait_for(timeout=60_000)
    assert "已完成" in await main_text(page)
    assert await page.locator(".badge.done").evaluate("b => b.getBoundingClientRect().height") < 40
    await check_page(page, "08-import-job")
    await submit(page, page.get_by_role("link", name="查看结果"))


async def import_roster(page: Any) -> None:
    good = roster_rows()
    bad = [
        [uscc(41), "外星贸易有限公司", "外星贸易", "中型", "城关街道"],
        [uscc(42), "超大集团有限公司", "制造业", "超大型", "城关街道"],
        [uscc(43), "火星科技有限公司", "制造业", "小型", "火星街道"],
        [uscc(1), "重复代码有限公司", "制造业", "小型", "城关街道"],
    ]
    await upload_roster(page, xlsx([HEADER, *good, *bad]), "roster-bad.xlsx")
    text = await main_text(page)
    assert "企业名单导入结果" in text
    stats = await page.locator(".stats .stat b").all_inner_texts()
    assert stats == ["44", "40", "0", "4", "4"], stats  # rows …, then the number of problems
    report = await page.locator("table.grid").last.locator("tbody tr").all_inner_texts()
    assert len(report) == 4, report
    for value in ("外星贸易", "超大型", "火星街道", uscc(1)):
        assert any(value in row for row in report), (value, report)
    assert all(re.search(r"[\u4e00-\u9fff]", row.split("\t")[2]) for row in report), report
    await check_page(page, "08b-roster-errors")
    async with page.expect_download() as download_info:
        await page.click("text=下载问题报告（XLSX）")
    download = await download_info.value
    sheet = load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active
    cells = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    for original in bad:  # each error row repeats the original row as uploaded
        assert any(all(v in row for v in original) for row in cells), (original, cells)

    # The fixed file: the three unknown values corrected, the duplicate given its own code, and
    # one existing firm renamed, which must be confirmed before anything is written.
    fixed = [
        [uscc(41), "外星贸易有限公司", "批发零售", "中型", "城关街道"],
        [uscc(42), "超大集团有限公司", "制造业", "大型", "城关街道"],
        [uscc(43), "火星科技有限公司", "制造业", "小型", "江南街道"],
        [uscc(44), "重复代码有限公司", "制造业", "小型", "城关街道"],
    ]
    renamed = [uscc(2), "江北测试企业002股份有限公司", *good[1][2:]]
    await upload_roster(page, xlsx([HEADER, renamed, *fixed]), "roster-fixed.xlsx")
    text = await main_text(page)
    assert "导入将修改已有对象" in text and "江北测试企业002股份有限公司" in text
    await check_page(page, "09-roster-confirm")
    await submit(page, "确认修改并导入")
    await page.get_by_role("link", name="查看结果").wait_for(timeout=60_000)
    await submit(page, page.get_by_role("link", name="查看结果"))
    stats = await page.locator(".stats .stat b").all_inner_texts()
    assert stats == ["5", "4", "1", "0"], stats
    assert "所有行均已导入" in await main_text(page)
    await page.goto("/roster?kind=enterprise")
    assert "江北测试企业002股份有限公司" in await main_text(page)
    await check_page(page, "10-roster")


async def create_campaign(page: Any) -> str:
    await page.goto("/campaigns")
    assert "还没有调查批次" in await main_text(page)
    await page.fill("input[name=name]", "2027年第一季度企业满意度调查")
    await page.fill("input[name=code]", "2027Q1-ENT")
    await page.fill("input[name=period]", "2027-Q1")
    await page.select_option("select[name=audience]", "enterprise")
    version = page.locator("select[name=version_id] option", has_text=QUESTIONNAIRE)
    await page.select_option("select[name=version_id]", await version.get_attribute("value"))
    await submit(page, "创建")
    assert re.search(r"/campaigns/\d+$", page.url), page.url
    assert "2027年第一季度企业满意度调查" in await main_text(page)
    await check_page(page, "11-campaign")
    return str(page.url)


async def draw_sample(page: Any) -> int:
    """Preview, then draw exactly the previewed plan; returns the sample size."""
    await page.check("input[name=strata][value=industry]")
    await page.fill("input[name=rate_percent]", "25")
    await page.fill("input[name=seed]", "20270101")
    await page.fill("input[name=min_per_stratum]", "2")
    # Neyman allocation without the strata's standard deviations: refused, nothing forgotten.
    await page.select_option("select[name=allocation]", "neyman")
    await submit(page, "预览分配")
    assert "标准差" in await main_text(page)
    assert await page.input_value("input[name=seed]") == "20270101"
    assert await page.input_value("input[name=min_per_stratum]") == "2"
    assert await page.input_value("select[name=allocation]") == "neyman"
    await check_page(page, "12a-draw-error")
    await page.select_option("select[name=allocation]", "proportional")
    await submit(page, "预览分配")
    text = await main_text(page)
    assert "分配预览" in text
    shown = await page.locator("#plan-fingerprint").inner_text()
    assert re.fullmatch(r"\S{6,}", shown), shown
    sample_size = int(re.search(r"将抽取 (\d+) 个", text).group(1))  # type: ignore[union-attr]
    await check_page(page, "12-draw-preview")
    await submit(page, page.locator("button[name=action][value=draw]"))
    text = await main_text(page)
    assert "抽样结果" in text
    assert await page.locator("#plan-fingerprint").inner_text() == shown
    await check_page(page, "13-drawn")
    await submit(page, "开始调查")
    assert "进行中" in await main_text(page)
    return sample_size


async def answer_open_link(site: Site, link: str) -> None:
    """A resident on a phone answers every shown question and submits."""
    page = await site.phone()
    await page.goto(link)
    await page.screenshot(path=str(SHOTS / "20-open-link-first-page-375.png"), full_page=True)
    rated: set[str] = set()
    for _ in range(10):
        if "谢谢您的参与" in await main_text(page):
            break
        rated.update(await page.locator(".mrow .mlabel").all_inner_texts())
        for name in set(await page.eval_on_selector_all(
                "input[type=radio]:visible", "xs => xs.map(x => x.name)")):
            await page.locator(f"input[type=radio][name='{name}']").first.check()
        for box in await page.locator("textarea:visible").all():
            await box.fill("希望网上办事再简化一些。")
        # Page 1 says 提交问卷 until 是 opens the rating section; the server then shows it.
        last = page.get_by_role("button", name="提交问卷")
        await submit(page, last if await last.count() else page.get_by_role("button", name="下一页"))
    text = await main_text(page)
    assert "谢谢您的参与" in text
    assert re.search(r"回执编号：\S+", text)
    await page.screenshot(path=str(SHOTS / "21-open-link-thanks-375.png"), full_page=True)
    # The unit matrix rates every active unit, and not the deactivated one.
    assert rated == {name for _, name, _ in UNITS}, rated


async def open_link(site: Site, page: Any, campaign_url: str) -> None:
    await page.goto(campaign_url + "/open-link")
    await submit(page, "创建公开链接")
    text = await main_text(page)
    link = re.search(r"https?://\S+/o/[\w-]+", text).group(0)  # type: ignore[union-attr]
    await check_page(page, "14-open-link")
    await answer_open_link(site, link)
    # The monitor counts the poster's answer as a channel, not as a sample response.
    await page.goto(campaign_url + "/monitor")
    text = await main_text(page)
    assert "公开链接 1 份" in text
    assert await page.locator(".stat", has_text="已回复").locator("b").inner_text() == "0"
    # check_page also finds short texts broken over lines: here 城关街/道, 未开/始, 同层/替补.
    await check_page(page, "15-monitor")


async def close_and_reopen(page: Any, campaign_url: str, sample_size: int) -> None:
    await page.goto(campaign_url)
    await submit(page, page.get_by_role("link", name="结束调查…"))
    text = await main_text(page)
    assert "确认结束调查" in text
    assert await page.locator("#close-awaiting").inner_text() == str(sample_size)
    assert await page.locator("#close-drafts").inner_text() == "0"
    await check_page(page, "16-close-confirm")
    await page.check("input[name=confirm]")
    await submit(page, "结束调查")
    assert "已结束" in await main_text(page)
    await page.goto(campaign_url + "/close")
    await page.fill("input[name=reason]", "部分企业反映未收到通知，延长两周")
    await submit(page, "重新开放")
    assert "进行中" in await main_text(page)
    await check_page(page, "17-reopened")


async def read_the_audit_log(page: Any) -> None:
    """Every step above is in the audit log, in Chinese."""
    await page.goto("/admin/audit")
    actions = await page.locator("table.grid tbody tr td:nth-child(3)").all_inner_texts()
    for done in ("设置两步验证", "新增单位类别", "新建单位", "停用单位", "导入样本框", "抽样",
                 "开始调查", "创建公开链接", "结束调查", "重新开放调查"):
        assert done in actions, (done, actions)
    assert not any(re.search(r"[a-z_]+\.[a-z_]+", a) for a in actions), actions
    draw = await page.locator("table.grid tbody tr", has_text="随机种子").first.inner_text()
    assert "分层字段：行业 × 规模" in draw and "抽样比例：25%" in draw, draw
    await check_page(page, "18-audit-log")


async def test_a_new_district_in_the_browser(district: Site) -> None:
    context = await district.browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=district.url,
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    district._watch(page)
    await log_in_and_enrol(page)
    await set_up_units(page)
    await import_roster(page)
    await build_district_questionnaire(page, district.url, QUESTIONNAIRE)
    await check_page(page, "10b-questionnaire-published")
    campaign_url = await create_campaign(page)
    sample_size = await draw_sample(page)
    await open_link(district, page, campaign_url)
    await close_and_reopen(page, campaign_url, sample_size)
    await read_the_audit_log(page)
