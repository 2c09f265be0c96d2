"""Chinese text processing: normalisation, personal-information masking, segmentation."""

from analysis.text.normalize import clean_opinion, mask_personal_info, normalize_text
from analysis.text.personal import mask_text_answers
from analysis.text.segment import Segmenter, default_segmenter, warm_up

__all__ = [
    "Segmenter",
    "clean_opinion",
    "default_segmenter",
    "mask_personal_info",
    "mask_text_answers",
    "normalize_text",
    "warm_up",
]
