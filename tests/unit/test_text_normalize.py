from analysis.text import clean_opinion, mask_personal_info, normalize_text


def test_full_width_letters_digits_and_spaces_are_folded() -> None:
    assert normalize_text("ＡＰＰ　版本１２３") == "APP 版本123"


def test_chinese_punctuation_stays_full_width_and_repeats_collapse() -> None:
    assert normalize_text("服务很好！！！效率高。。。") == "服务很好！效率高。"
    assert normalize_text("服务很好,效率高!") == "服务很好，效率高！"
    assert normalize_text("12:30 到 A,B") == "12:30 到 A,B"


def test_traditional_characters_become_simplified() -> None:
    assert normalize_text("辦事效率還是太慢") == "办事效率还是太慢"


def test_whitespace_and_invisible_characters_are_tidied() -> None:
    assert normalize_text("  停车\t难\u200b \n") == "停车 难"


def test_normalisation_is_idempotent() -> None:
    text = "ＡＢＣ１２３　服務態度！！！很差。。。"
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_mobile_numbers_are_masked_in_several_spellings() -> None:
    for number in ("13812345678", "138-1234-5678", "138 1234 5678", "+86 13812345678"):
        assert mask_personal_info(f"电话{number}请回电") == "电话【手机号】请回电"


def test_full_width_mobile_number_is_masked() -> None:
    assert mask_personal_info("联系１３８１２３４５６７８") == "联系【手机号】"


def test_landline_numbers_are_masked() -> None:
    assert mask_personal_info("座机010-88886666转123") == "座机【固定电话】"
    assert mask_personal_info("电话(0755)23456789") == "电话【固定电话】"
    assert mask_personal_info("电话0755 2345 6789") == "电话【固定电话】"


def test_id_numbers_and_email_are_masked() -> None:
    text = "身份证11010119900307123X，邮箱 zhang.san@example.com.cn"
    assert mask_personal_info(text) == "身份证【身份证号】，邮箱 【邮箱】"


def test_licence_plates_are_masked() -> None:
    assert mask_personal_info("粤B12345和京A·D12345被贴条") == "【车牌号】和【车牌号】被贴条"


def test_hotline_dates_amounts_and_long_order_numbers_are_not_masked() -> None:
    text = "打12345热线，2023年10月3日下午3:30，罚款200元，订单201812345678901234567"
    assert mask_personal_info(text) == text


def test_clean_opinion_normalises_then_masks() -> None:
    assert clean_opinion("電話：１３８１２３４５６７８！！") == "电话：【手机号】！"
