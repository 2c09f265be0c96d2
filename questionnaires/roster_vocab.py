"""Controlled lists for roster categories (pure): 行业, 规模 and 园区/街道.

* 行业: the 20 sections (门类) A–T of GB/T 4754-2017 《国民经济行业分类》. A value may be the
  section's name, its letter ("C", "C 制造业"), or a common short name ("批发零售", "IT").
  Stored as the section's name.
* 规模: 大型 / 中型 / 小型 / 微型 of 《统计上大中小微型企业划分办法（2017）》, plus 规上 / 规下
  (规模以上/以下, the statistical reporting threshold), which offices also stratify by.
  "小微" is refused: it is two classes, and a stratum drawn from it has no meaning.
* 园区/街道: the names of the units whose class names a place (街道, 园区, 镇, 乡, 开发区 …),
  with or without the suffix 办事处 / 管委会 / 管理委员会 / 人民政府; stored without it.

Unknown values are row errors naming the allowed ones, so no made-up stratum is ever drawn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

INDUSTRY_SECTIONS: tuple[tuple[str, str], ...] = (
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
)
INDUSTRY_SYNONYMS: dict[str, str] = {
    "农业": "A", "农林牧渔": "A", "农林牧渔业": "A", "种植业": "A", "养殖业": "A",
    "采矿": "B", "矿业": "B",
    "工业": "C", "制造": "C", "加工制造": "C",
    "电力": "D", "水电气": "D", "燃气": "D", "能源供应": "D",
    "建筑": "E", "建筑施工": "E", "建筑安装": "E",
    "批发": "F", "零售": "F", "批发业": "F", "零售业": "F", "批发零售": "F", "批发零售业": "F",
    "商贸": "F", "商贸流通": "F",
    "交通运输": "G", "物流": "G", "运输": "G", "仓储": "G", "交通运输业": "G", "邮政": "G",
    "住宿": "H", "餐饮": "H", "住宿餐饮": "H", "餐饮业": "H", "酒店": "H",
    "信息技术": "I", "软件": "I", "软件和信息技术服务业": "I", "信息服务": "I", "it": "I",
    "互联网": "I", "信息传输": "I",
    "金融": "J", "银行": "J", "保险": "J",
    "房地产": "K", "房地产开发": "K", "物业": "K", "物业管理": "K",
    "租赁": "L", "商务服务": "L", "租赁和商务服务": "L",
    "科研": "M", "科技服务": "M", "技术服务": "M", "科学研究": "M",
    "水利环境": "N", "环境卫生": "N", "公共设施管理": "N",
    "居民服务": "O", "修理": "O", "家政": "O",
    "教育培训": "P", "培训": "P",
    "医疗": "Q", "卫生": "Q", "医疗卫生": "Q", "社会工作": "Q",
    "文化": "R", "体育": "R", "娱乐": "R", "文体娱乐": "R", "文化体育娱乐": "R",
    "公共管理": "S", "社会组织": "S",
}  # fmt: skip
SIZE_CLASSES = ("大型", "中型", "小型", "微型", "规上", "规下")
SIZE_SYNONYMS: dict[str, str] = {
    "大": "大型", "大型企业": "大型", "中": "中型", "中型企业": "中型", "小": "小型",
    "小型企业": "小型", "微": "微型", "微型企业": "微型", "微小": "微型",
    "规模以上": "规上", "规模以上企业": "规上", "规上企业": "规上",
    "规模以下": "规下", "规模以下企业": "规下", "规下企业": "规下",
}
PLACE_CLASS_WORDS = ("街道", "园区", "镇", "乡", "开发区", "高新区", "社区")
PLACE_SUFFIXES = ("办事处", "管理委员会", "管委会", "人民政府", "政府")
_SECTION_NAMES = dict(INDUSTRY_SECTIONS)


def _key(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text).strip().lower()
    return "".join(ch for ch in normal if not ch.isspace())


def _industry_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for letter, name in INDUSTRY_SECTIONS:
        for alias in (letter, name, f"{letter}{name}", f"{letter}{name.replace('、', '')}",
                      name.replace("、", "")):
            table[_key(alias)] = name
    for alias, letter in INDUSTRY_SYNONYMS.items():
        table[_key(alias)] = _SECTION_NAMES[letter]
    return table


_INDUSTRIES = _industry_table()
_SIZES = {**{_key(s): s for s in SIZE_CLASSES}, **{_key(k): v for k, v in SIZE_SYNONYMS.items()}}


def is_place_class(category: str) -> bool:
    return any(word in category for word in PLACE_CLASS_WORDS)


def short_place_name(name: str) -> str:
    """城关街道办事处 -> 城关街道, 高新区管委会 -> 高新区: how firms name where they are."""
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def place_names(unit_names: Iterable[str]) -> dict[str, str]:
    """Accepted spelling (full or short unit name) -> the short name stored in the roster."""
    table: dict[str, str] = {}
    for name in unit_names:
        table[_key(name)] = table[_key(short_place_name(name))] = short_place_name(name)
    return table


@dataclass(frozen=True)
class Vocabulary:
    """What an import accepts; `places` empty means no unit is a place yet."""

    places: Mapping[str, str] = field(default_factory=dict)

    def industry(self, value: str) -> str | None:
        return _INDUSTRIES.get(_key(value))

    def size_class(self, value: str) -> str | None:
        return _SIZES.get(_key(value))

    def place(self, value: str) -> str | None:
        return self.places.get(_key(value))


def industry_problem(value: str) -> str:
    return (f"行业“{value}”不在《国民经济行业分类》（GB/T 4754-2017）门类中，请填写门类名称或字母，"
            "如“制造业”或“C”")


def size_problem(value: str) -> str:
    if _key(value) in ("小微", "小微型", "小微企业"):
        return "规模“小微”包含小型和微型两类，请分别填写“小型”或“微型”"
    return f"规模“{value}”无法识别，请填写 {'、'.join(SIZE_CLASSES)} 之一"


def place_problem(value: str, label: str, known: Iterable[str]) -> str:
    names = sorted(set(known))
    if not names:
        return (f"{label}“{value}”不在单位名录中：单位名录中还没有街道或园区，"
                "请先在“单位”管理中添加")
    shown = "、".join(names[:8]) + ("等" if len(names) > 8 else "")
    return f"{label}“{value}”不在单位名录中（可填：{shown}）"
