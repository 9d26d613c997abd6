# FAKE keys for the golden report tests (tests/golden/): never credentials.
import os

MINDEE_V2_API_KEY = "md_2Dv2VKjalXIfiRP0FboQ7P092sBnWwYX"
GITHUB_TOKEN = "ghp_YrpdOZqm5PE37LGWi7BJwTZ8ogtu76Rs83N6"
DEBUG = os.environ.get("DEBUG") == "1"
