from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from support.security import TokenView

from support import api, views
from callbacks import api as callbacks_api
from kyc import api as kyc_api
from complaints import api as complaints_api
from helpcenter import api as helpcenter_api
from safety import api as safety_api
from tickets import api as tickets_api
from support.forms import DeskPasswordResetForm

admin.site.site_header = "Support desk"
admin.site.site_title = "Support desk"

accounts = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=DeskPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

api_urls = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("customers/<str:account_number>/", api.CustomerDetailView.as_view(), name="api-customer"),
    path("contact/", api.ContactView.as_view(), name="api-contact"),
    path("auth/token/", TokenView.as_view(), name="api-token"),  # obtain_auth_token, counted by the lockout
    path("tickets/", tickets_api.TicketListView.as_view(), name="api-tickets"),
    path("tickets/<str:reference>/", tickets_api.TicketDetailView.as_view(), name="api-ticket"),
    path("tickets/<str:reference>/messages/", tickets_api.TicketMessageView.as_view(), name="api-ticket-messages"),
    path("tickets/<str:reference>/close/", tickets_api.TicketCloseView.as_view(), name="api-ticket-close"),
    path("tickets/<str:reference>/reopen/", tickets_api.TicketReopenView.as_view(), name="api-ticket-reopen"),
    path("tickets/<str:reference>/rate/", tickets_api.TicketRateView.as_view(), name="api-ticket-rate"),
    path(
        "tickets/<str:reference>/attachments/<int:attachment_id>/",
        tickets_api.TicketAttachmentView.as_view(),
        name="api-ticket-attachment",
    ),
    path("callbacks/", callbacks_api.BookingListView.as_view(), name="api-callbacks"),
    path("callbacks/slots/", callbacks_api.SlotListView.as_view(), name="api-callback-slots"),
    path("callbacks/<str:reference>/", callbacks_api.BookingDetailView.as_view(), name="api-callback"),
    path("callbacks/<str:reference>/reschedule/", callbacks_api.BookingRescheduleView.as_view(), name="api-callback-reschedule"),
    path("callbacks/<str:reference>/cancel/", callbacks_api.BookingCancelView.as_view(), name="api-callback-cancel"),
    path("kyc/", kyc_api.CaseView.as_view(), name="api-kyc"),
    path("kyc/documents/", kyc_api.DocumentListView.as_view(), name="api-kyc-documents"),
    path("kyc/documents/<str:public_id>/", kyc_api.DocumentDetailView.as_view(), name="api-kyc-document"),
    path("kyc/documents/<str:public_id>/pages/", kyc_api.PageUploadView.as_view(), name="api-kyc-pages"),
    path("kyc/documents/<str:public_id>/pages/<str:page_id>/", kyc_api.PageDeleteView.as_view(), name="api-kyc-page"),
    path("kyc/documents/<str:public_id>/submit/", kyc_api.DocumentSubmitView.as_view(), name="api-kyc-submit"),
    path("kyc/files/<str:page_id>/", kyc_api.FileView.as_view(), name="api-kyc-file"),
    path("complaints/", complaints_api.ComplaintListView.as_view(), name="api-complaints"),
    path("complaints/<str:reference>/", complaints_api.ComplaintDetailView.as_view(), name="api-complaint"),
    path("check/", safety_api.CheckView.as_view(), name="api-check"),
    path("help/search/", helpcenter_api.HelpSearchView.as_view(), name="api-help-search"),
    path("help/suggest/", helpcenter_api.SuggestView.as_view(), name="api-help-suggest"),
    path("help/suggest/solved/", helpcenter_api.SuggestSolvedView.as_view(), name="api-help-suggest-solved"),
    path("help/articles/<str:slug>/", helpcenter_api.HelpArticleView.as_view(), name="api-help-article"),
    path("agent/suggestions/", helpcenter_api.AgentSuggestionsView.as_view(), name="api-agent-suggestions"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile_edit, name="profile"),
    path("contact/", views.contact, name="contact"),
    path("notifications/", views.notification_list, name="notifications"),
    path("supervisor/", include("support.supervisor")),
    path("notifications/read/", views.notification_read_all, name="notifications_read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("tickets/", include("tickets.urls")),
    path("chat/", include("chat.urls")),
    path("callbacks/", include("callbacks.urls")),
    path("verification/", include("kyc.urls")),
    path("complaints/", include("complaints.urls")),
    path("check/", include("safety.urls")),
    path("help/", include("helpcenter.urls")),
    path("api/", include(api_urls)),
    path("admin/", admin.site.urls),
]
