"""The words of XLSForm: limits, column and type spellings (pyxform's aliases and the legacy
ones), and what each type becomes here."""

from __future__ import annotations

import re

from questionnaires.model import SATISFACTION_SCALE, UNKNOWN_OPTION

MAX_XLSFORM_BYTES = 5_000_000
MAX_UNCOMPRESSED_BYTES = 50_000_000
MAX_SHEET_ROWS = 5000  # survey and settings: room for the 1000 questions a questionnaire holds
MAX_CHOICE_ROWS = 20000  # choices sheets: real forms list every district or village
MAX_SHEET_COLUMNS = 60
MAX_CELL_CHARS = 5000
BLANK_RUN_LIMIT = 20  # XLSForm: nothing after 20 adjacent blank rows is processed
MAX_LOOP_CHOICES = 30  # `begin loop over <list>` is unrolled once per choice
MAX_REPEAT_COPIES = 20  # a repeat with a fixed repeat_count is expanded into that many copies
DEFAULT_REPEAT_COPIES = 5  # copies of a repeat whose count is an answer, or open
NESTED_REPEAT_COPIES = 3  # the same for a repeat inside a repeat
REPEAT_QUESTION_BUDGET = 150  # fewer copies of a long repeat (a questionnaire holds 500 questions)
REPEAT_PAGE_BUDGET = 15  # fewer copies of a repeat with groups inside (a questionnaire has 50 pages)

RATING_LIST = "satisfaction5"
RATING_LIST_WITH_UNKNOWN = "satisfaction5_dk"
RATING_LISTS = {
    RATING_LIST: SATISFACTION_SCALE,
    RATING_LIST_WITH_UNKNOWN: (*SATISFACTION_SCALE, UNKNOWN_OPTION),
}
EXPORT_LANGUAGE = "中文 (zh)"
DEFAULT_FORM_ID = "xlsform"  # XLSForm defaults form_id to the file name, which we do not get
DEFAULT_TITLE = "导入的问卷"
OTHER_VALUE = "other"
OTHER_LABEL = "其他"

# pyxform header aliases -> our column keys
HEADER_ALIASES = {
    "relevance": "relevant",
    "constraining_message": "constraint_message",
    "constraint message": "constraint_message",
    "requiredmsg": "required_message",
    "required message": "required_message",
    "caption": "label",
    "list name": "list_name",
    "choice filter": "choice_filter",
    "readonly": "read_only",
    "calculate": "calculation",
    "command": "type",
    "tag": "name",
    "value": "name",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "body": "appearance",
}
# `bind::x` / `body::x` columns: the part after the prefix, spelled as in the XForm.
PREFIXED_COLUMNS = {
    "relevant": "relevant",
    "required": "required",
    "constraint": "constraint",
    "calculate": "calculation",
    "readonly": "read_only",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "appearance": "appearance",
}
TRANSLATABLE = ("label", "hint", "required_message", "constraint_message")
SURVEY_COLUMNS = frozenset(
    {
        "type",
        "name",
        *TRANSLATABLE,
        "required",
        "relevant",
        "constraint",
        "choice_filter",
        "appearance",
        "parameters",
        "calculation",
        "repeat_count",
        "unit",
        "dimension",
        "allow_unknown",
        "min",
        "max",
        "max_length",
        "max_choices",
        "opinion",
    }
)
CHOICE_COLUMNS = frozenset({"list_name", "name", "label", "image", "audio", "video", "big-image"})
IGNORED_SURVEY_COLUMNS = frozenset(
    {
        "default",
        "read_only",
        "trigger",
        "guidance_hint",
        "image",
        "audio",
        "video",
        "big-image",
        "autoplay",
        "rows",
        "media",
        "instance",
        "bind",
        "noapperrorstring",
        "no_app_error_string",
        "sms_field",
        "compact_tag",
        "save_to",
    }
)

# Types whose values the system records itself, or that declare data sources: no item.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-geopoint",
        "hidden",
        "xml-external",
        "csv-external",
        "uri:deviceid",
        "uri:subscriberid",
        "uri:simserial",
        "uri:phonenumber",
        "uri:username",
        "uri:email",
    }
)
METADATA_LABELS = {
    "start": "开始时间",
    "end": "结束时间",
    "today": "填写日期",
    "deviceid": "设备编号",
    "imei": "设备编号",
    "subscriberid": "用户识别码",
    "simserial": "SIM 卡号",
    "phonenumber": "手机号码",
    "username": "用户名",
    "email": "电子邮箱",
    "audit": "操作记录",
    "start-geopoint": "起始位置",
    "background-geopoint": "后台位置",
    "hidden": "隐藏值",
    "xml-external": "外部数据",
    "csv-external": "外部数据",
}
# An item a respondent never sees (metadata, a calculation kept only to be named): a note that
# is never relevant, so it needs nothing special in answering, drafts, paper entry or exports.
HIDDEN = "false()"


def metadata_label(kind: str) -> str:
    """The label of the hidden note a metadata row imports as (the export writes the row back)."""
    meaning = METADATA_LABELS.get(kind.removeprefix("uri:"), "元数据")
    return f"【元数据 {kind}（{meaning}）：本平台不采集，填答时不显示】"


def calculation_label(name: str) -> str:
    return f"【计算项 {name}：本平台不单独计算和保存，填答时不显示】"


# Questions with no meaning here: imported as a note that names them, with a warning.
UNSUPPORTED_TYPES = {
    "time": "时间",
    "datetime": "日期时间",
    "geopoint": "地理位置",
    "geotrace": "地理轨迹",
    "geoshape": "地理区域",
    "image": "照片",
    "audio": "录音",
    "background-audio": "后台录音",
    "video": "视频",
    "file": "文件",
    "barcode": "条形码",
    "acknowledge": "确认",
    "trigger": "确认",
    "rank": "排序",
    "select_one_from_file": "外部文件选项",
    "select_multiple_from_file": "外部文件选项",
    "osm": "地图",
    "signature": "签名",
    "select_from_answers": "动态选项（来自其他题目的答案）",
}
# Spelling -> the canonical type (after lower-casing and collapsing blanks).
TYPE_ALIASES = {
    "string": "text",
    "add text prompt": "text",
    "int": "integer",
    "add integer prompt": "integer",
    "add decimal prompt": "decimal",
    "add date prompt": "date",
    "add note prompt": "note",
    "add calculate prompt": "calculate",
    "select1": "select_one",
    "select one": "select_one",
    "select one from": "select_one",
    "select one using": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple",
    "select multiple": "select_multiple",
    "select multiple from": "select_multiple",
    "select multiple using": "select_multiple",
    "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "add select multiple prompt using": "select_multiple",
    "select one external": "select_one_external",
    "select one from file": "select_one_from_file",
    "select multiple from file": "select_multiple_from_file",
    "begin group": "begin group",
    "end group": "end group",
    "begin_group": "begin group",
    "end_group": "end group",
    "begin repeat": "begin repeat",
    "end repeat": "end repeat",
    "begin_repeat": "begin repeat",
    "end_repeat": "end repeat",
    "begin lgroup": "begin repeat",
    "end lgroup": "end repeat",
    "begin looped group": "begin repeat",
    "end looped group": "end repeat",
    "begin loop": "begin loop",
    "begin loop over": "begin loop",
    "end loop": "end loop",
    "begin_loop": "begin loop",
    "end_loop": "end loop",
    "get start time": "start",
    "start time": "start",
    "get end time": "end",
    "end time": "end",
    "get today": "today",
    "device id": "deviceid",
    "get device id": "deviceid",
    "subscriber id": "subscriberid",
    "get subscriber id": "subscriberid",
    "sim id": "simserial",
    "get sim id": "simserial",
    "get phone number": "phonenumber",
    "photo": "image",
    "add image prompt": "image",
    "add photo prompt": "image",
    "add audio prompt": "audio",
    "add video prompt": "video",
    "add file prompt": "file",
    "add barcode prompt": "barcode",
    "add location prompt": "geopoint",
    "add date time prompt": "datetime",
    "add acknowledge prompt": "acknowledge",
    "phone number": "text",
    "gps": "geopoint",
    "location": "geopoint",
    "datetime": "datetime",
    "datetime-local": "datetime",
    "add datetime prompt": "datetime",
    "picture": "image",
    "percentage": "percentage",
    "number of days in last month": "days31",
    "number of days in last six months": "days183",
    "number of days in last year": "days365",
}
# pyxform's integer types with a built-in range: type -> (min, max)
BOUNDED_INTEGERS = {"percentage": (0, 100), "days31": (0, 31), "days183": (0, 183), "days365": (0, 365)}
# Longest first, so that "select one from" wins over "select one".
_PREFIXES = sorted(TYPE_ALIASES, key=len, reverse=True)


def split_type(text: str) -> tuple[str, str]:
    """'select_one yes_no' -> ('select_one', 'yes_no'); 'select one from yes_no' too; 'q int'
    -> ('integer', ''). The kind is canonical (see TYPE_ALIASES), the argument as written."""
    normal = " ".join(text.split())
    lowered = normal.lower()
    if lowered.startswith("q "):
        normal, lowered = normal[2:], lowered[2:]
    for alias in _PREFIXES:
        if lowered == alias or lowered.startswith(alias + " "):
            return TYPE_ALIASES[alias], normal[len(alias) :].strip()
    kind, _, argument = normal.partition(" ")
    return kind.lower(), argument.strip()


def parameters(text: str) -> dict[str, str]:
    found = dict(re.findall(r"([A-Za-z_-]+)\s*=\s*([^\s;,]+)", text))  # blank, ; or , between
    return {"start": "0", "end": "10", "step": "1", **{k.lower(): v for k, v in found.items()}}
