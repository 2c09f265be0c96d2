"""Finding 3 (issue 17): every form of personal number found by the attack is masked, case by
case, and ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from analysis.text import mask_personal_info

PHONE, LANDLINE, ID, PLATE, EMAIL = "【手机号】", "【固定电话】", "【身份证号】", "【车牌号】", "【邮箱】"


@pytest.mark.parametrize(("text", "expected"), [
    # letters or punctuation around the digits
    ("VX13812345678", f"VX{PHONE}"),
    ("vx:13812345678", f"vx:{PHONE}"),
    ("Tel13812345678", f"Tel{PHONE}"),
    ("微信号wx13812345678谢谢", f"微信号wx{PHONE}谢谢"),
    ("手机：13812345678。", f"手机：{PHONE}。"),
    ("(13812345678)", f"({PHONE})"),
    # any separators
    ("138.1234.5678", PHONE),
    ("138 123 45678", PHONE),
    ("138-1234-5678", PHONE),
    ("1 3 8 1 2 3 4 5 6 7 8", PHONE),
    ("138_1234_5678", PHONE),
    ("138/1234/5678", PHONE),
    ("138，1234，5678", PHONE),
    ("+86 138 1234 5678", PHONE),
    ("0086-13812345678", PHONE),
    ("１３８ １２３４ ５６７８", PHONE),
    # Chinese numerals, alone or mixed with digits
    ("一三八一二三四五六七八", PHONE),
    ("电话幺三八 幺二三四 五六七八", f"电话{PHONE}"),
    ("壹叁捌壹贰叁肆伍陆柒捌", PHONE),
    ("一三八1234五六七八", PHONE),
    ("打我电话13812345678一定回", f"打我电话{PHONE}一定回"),
    # ID numbers: 18 digits (X), 15 digits, with separators
    ("身份证11010119900307123X", f"身份证{ID}"),
    ("身份证11010119900307123x号", f"身份证{ID}号"),
    ("身份证110101199003071234", f"身份证{ID}"),
    ("证件号110101900307123", f"证件号{ID}"),
    ("110101 19900307 1234", ID),
    ("一一〇一〇一一九九〇〇三〇七一二三四", ID),
    # plates in any case
    ("粤b12345", PLATE),
    ("粤B12345", PLATE),
    ("粤Ｂ１２３４５", PLATE),
    ("京a·d12345", PLATE),
    ("沪 A 1234S 违停", f"{PLATE} 违停"),
    # landlines near 电话/座机
    ("座机62345678", f"座机{LANDLINE}"),
    ("电话：6234-5678", f"电话：{LANDLINE}"),
    ("固话 6234567", f"固话 {LANDLINE}"),
    ("座机010-88886666转123", f"座机{LANDLINE}"),
    ("电话（0755）2345-6789", f"电话{LANDLINE}"),
    ("0755.2345.6789", LANDLINE),
    ("e-mail: Zhang.San@Example.com.cn", f"e-mail: {EMAIL}"),
    ("13812345678@qq.com", EMAIL),
])
def test_each_form_is_masked(text: str, expected: str) -> None:
    assert mask_personal_info(text) == expected


@pytest.mark.parametrize("text", [
    "打12345热线，2023年10月3日下午3:30，罚款200元",
    "订单201812345678901234567",
    "2023-10-03 开会",
    "第一季度办了三四次，一二十个人排队",
    "营业额 6234 万元",  # a bare 4-digit number, no phone word
    "去年投资62345678元",  # 8 digits without a phone word: an amount
    "服务（很好）",
    "ISO9001认证",
])
def test_ordinary_numbers_and_text_are_left_alone(text: str) -> None:
    assert mask_personal_info(text) == text


def test_several_numbers_in_one_text_and_dates_beside_them() -> None:
    text = "2023-10-03 我打13812345678没人接，座机62345678也不通，车牌粤b12345"
    assert mask_personal_info(text) == (
        f"2023-10-03 我打{PHONE}没人接，座机{LANDLINE}也不通，车牌{PLATE}"
    )


def test_masking_is_idempotent_and_bounded_on_long_digit_soup() -> None:
    soup = "0 " * 5000
    assert mask_personal_info(soup) == soup  # no window of 0s is a personal number
    once = mask_personal_info("VX13812345678 座机62345678")
    assert mask_personal_info(once) == once
