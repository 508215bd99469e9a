"""Rating a completed request from the SMS link, complaints, and the public service-level
summary."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import resolve, reverse

from portal.digits import to_persian_digits
from requests_app.models import Channel, Complaint, Rating, Status
from requests_app.services import workflow as wf
from requests_app.services.notify import rating_token
from requests_app.views import feedback as feedback_views
from tests.factories import DistrictOfficeFactory, login_with_second_factor
from tests.requests_app.factories import RequestTypeFactory, office_staff, owned_subscription

pytestmark = pytest.mark.django_db

SLA = reverse("requests_app:sla-summary")


def test_performance_page_is_not_shadowed_by_the_catalog_slug_route():
    assert resolve(SLA).func is feedback_views.sla_summary


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def setting():
    user, subscription = owned_subscription()
    request_type = RequestTypeFactory(
        title="خدمت امتیازی", stage_documents=False, stage_approval=False
    )
    req = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    return user, subscription, req


@pytest.fixture
def completed(setting):
    _user, subscription, req = setting
    clerk = office_staff(subscription.office)
    return wf.request_complete(request=req, actor=clerk)


def _rate_url(req) -> str:
    return reverse("requests_app:rate", args=[rating_token(req)])


# --- rating ---------------------------------------------------------------------------------


def test_rating_page_needs_no_login_and_shows_nothing_personal(client, completed):
    response = client.get(_rate_url(completed))
    assert response.status_code == 200
    page = response.content.decode()
    assert "خدمت امتیازی" in page and to_persian_digits(completed.number) in page
    assert 'type="radio"' in page and 'value="5"' in page
    assert completed.applicant.national_code not in page
    assert completed.subscription.address not in page


def test_bad_token_is_404(client, completed):
    assert client.get(reverse("requests_app:rate", args=["nonsense"])).status_code == 404
    token = rating_token(completed)
    assert client.get(reverse("requests_app:rate", args=[token[:-2] + "xx"])).status_code == 404


def test_token_of_an_unfinished_request_is_404(client, setting):
    _user, _subscription, req = setting
    assert req.status == Status.SUBMITTED
    assert client.get(_rate_url(req)).status_code == 404


@pytest.mark.parametrize("score", ["0", "6", "", "پنج"])
def test_score_out_of_range_is_refused(client, completed, score):
    response = client.post(_rate_url(completed), {"score": score})
    assert response.status_code == 400
    assert "یکی از امتیازهای ۱ تا ۵ را انتخاب کنید." in response.content.decode()
    assert not Rating.objects.exists()


def test_empty_rating_post_is_refused(client, completed):
    response = client.post(_rate_url(completed))
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_rating_is_recorded_once(client, completed):
    response = client.post(_rate_url(completed), {"score": "۴", "comment": "خوب بود"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.request, rating.score, rating.comment) == (completed, 4, "خوب بود")
    assert "سپاسگزاریم" in _messages(response)[0]

    again = client.get(_rate_url(completed))
    assert "پیش‌تر امتیاز ثبت شده است" in again.content.decode()
    client.post(_rate_url(completed), {"score": "1"})
    assert Rating.objects.get().score == 4


# --- complaints -----------------------------------------------------------------------------

COMPLAINTS = reverse("requests_app:complaint-list")
NEW_COMPLAINT = reverse("requests_app:complaint-new")


def test_complaint_pages_need_login(client):
    assert client.get(COMPLAINTS).status_code == 302
    assert client.get(NEW_COMPLAINT).status_code == 302


def test_complaint_about_my_request_shows_its_tracking_code(client, setting):
    user, _subscription, req = setting
    client.force_login(user)
    page = client.get(NEW_COMPLAINT, {"request": to_persian_digits(req.number)})
    assert page.status_code == 200
    assert page.context["form"].initial["request"] == req.number
    response = client.post(
        NEW_COMPLAINT, {"request": req.number, "text": "کارشناس در زمان اعلام‌شده نیامد."}
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == COMPLAINTS
    assert (complaint.request, complaint.office) == (req, req.office)
    assert _messages(response) == [
        f"شکایت شما ثبت شد. کد پیگیری: {to_persian_digits(complaint.tracking_code)}"
    ]
    listing = client.get(COMPLAINTS).content.decode()
    assert to_persian_digits(complaint.tracking_code) in listing
    assert "در حال بررسی" in listing


def test_complaint_about_a_service(client, setting):
    user, _subscription, req = setting
    client.force_login(user)
    response = client.post(
        NEW_COMPLAINT, {"request_type": req.request_type.pk, "text": "این خدمت بسیار کند است."}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.request, complaint.request_type, complaint.office) == (
        None,
        req.request_type,
        None,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "متن کافی برای شکایت"}, "request_type",
         "خدمت یا درخواست مورد شکایت را انتخاب کنید."),
        ({"text": "کوتاه"}, "text", "شرح شکایت را دست‌کم در ۱۰ نویسه بنویسید."),
        ({"text": ""}, "text", "شرح شکایت را بنویسید."),
    ],
)  # fmt: skip
def test_bad_complaint_names_the_field_and_saves_nothing(client, setting, data, field, message):
    user, _subscription, req = setting
    client.force_login(user)
    if field == "text":
        data = {**data, "request": req.number}
    response = client.post(NEW_COMPLAINT, data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not Complaint.objects.exists()


def test_complaint_about_someone_elses_request_is_404(client, setting):
    _user, _subscription, req = setting
    other, _sub = owned_subscription()
    client.force_login(other)
    assert client.get(NEW_COMPLAINT, {"request": req.number}).status_code == 404
    response = client.post(NEW_COMPLAINT, {"request": req.number, "text": "متن شکایت آزمایشی"})
    assert response.status_code == 404
    assert not Complaint.objects.exists()


def test_staff_of_another_office_cannot_complain_about_the_request(client, setting):
    _user, _subscription, req = setting
    login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    assert client.get(NEW_COMPLAINT, {"request": req.number}).status_code == 404


def test_complaint_list_shows_only_mine_with_the_answer(client, setting):
    user, subscription, req = setting
    other, _sub = owned_subscription()
    from requests_app.services.feedback import complaint_answer, complaint_file

    mine = complaint_file(complainant=user, text="شکایت من از این درخواست", request=req)
    complaint_answer(
        complaint=mine, actor=office_staff(subscription.office), answer="پیگیری و رفع شد."
    )
    theirs = complaint_file(
        complainant=other, text="شکایت دیگری از خدمت", request_type=req.request_type
    )
    client.force_login(user)
    page = client.get(COMPLAINTS).content.decode()
    assert to_persian_digits(mine.tracking_code) in page
    assert "پیگیری و رفع شد." in page and "پاسخ داده شده" in page
    assert to_persian_digits(theirs.tracking_code) not in page


# --- service levels -------------------------------------------------------------------------


def test_sla_summary_is_public_and_accessible(client, completed):
    Rating.objects.create(request=completed, score=5)
    response = client.get(SLA)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
    assert "خدمت امتیازی" in page
    assert "۱۰۰٫۰٪" in page or "۱۰۰.۰٪" in page or "۱۰۰٪" in page
    assert "۵٫۰ (۱ نظر)" in page or "۵.۰ (۱ نظر)" in page


@pytest.mark.parametrize("types", [1, 50])
def test_sla_summary_query_count(client, types, django_assert_max_num_queries):
    for n in range(types):
        RequestTypeFactory(title=f"خدمت شمارش {n}")
    with django_assert_max_num_queries(8):
        response = client.get(SLA)
    assert response.content.decode().count('scope="row"') >= types
