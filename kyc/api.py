"""Verification over REST for customers (a mobile app uploads from the camera): the case and its details,
documents, page uploads, submission, and the files. Another customer's document or file is a 404."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kyc import services, views
from kyc.models import Document, DocumentPage, VerificationCase
from kyc.selectors import document_get_for_customer, documents_of_case
from kyc.texts import reason_help
from support.permissions import customer_profile_of


class PageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentPage
        fields = ["id", "number", "original_name", "content_type", "size", "width", "height", "page_count", "blurry", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        return f"/api/kyc/files/{obj.public_id}/"


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    pages = PageSerializer(many=True, read_only=True)
    rejection_help = serializers.SerializerMethodField()
    pages_required = serializers.IntegerField(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id", "kind", "doc_type", "status", "created_at", "submitted_at", "due_at", "decided_at",
            "rejection_reason", "rejection_help", "note", "pages_required", "pages",
        ]

    def get_rejection_help(self, obj) -> str:
        return reason_help(obj.rejection_reason) if obj.status == Document.Status.REJECTED else ""


class CaseSerializer(serializers.ModelSerializer):
    documents = serializers.SerializerMethodField()

    class Meta:
        model = VerificationCase
        fields = ["status", "legal_name", "date_of_birth", "address", "country", "verified_at", "documents"]
        read_only_fields = ["status", "verified_at"]

    def get_documents(self, obj) -> list[dict]:
        return DocumentSerializer(documents_of_case(obj), many=True).data


class DetailsSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField()
    address = serializers.CharField(max_length=500)
    country = serializers.CharField(max_length=64)


class StartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    doc_type = serializers.ChoiceField(choices=Document.Type.choices)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)


def _case(request) -> VerificationCase:
    profile = customer_profile_of(request.user)
    if profile is None:
        raise PermissionDenied("Verification is for customers; reviewers use the review queue.")
    return services.case_get_or_create(profile)


def _refused(exc) -> ValidationError:
    return ValidationError({getattr(exc, "field", None) or "detail": [str(exc.message)], **({"code": exc.code} if hasattr(exc, "code") else {})})


class CaseView(APIView):
    @extend_schema(responses=CaseSerializer)
    def get(self, request):
        return Response(CaseSerializer(_case(request)).data)

    @extend_schema(request=DetailsSerializer, responses=CaseSerializer)
    def put(self, request):
        case = _case(request)
        serializer = DetailsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case = services.case_details_update(case, actor=request.user, **serializer.validated_data)
        except services.KycError as exc:
            raise _refused(exc) from None
        return Response(CaseSerializer(case).data)


class DocumentListView(APIView):
    @extend_schema(responses=DocumentSerializer(many=True))
    def get(self, request):
        return Response(DocumentSerializer(documents_of_case(_case(request)), many=True).data)

    @extend_schema(request=StartSerializer, responses={201: DocumentSerializer})
    def post(self, request):
        case = _case(request)
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            document = services.document_start(case, actor=request.user, **serializer.validated_data)
        except services.KycError as exc:
            raise _refused(exc) from None
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailView(APIView):
    @extend_schema(responses=DocumentSerializer)
    def get(self, request, public_id):
        _case(request)
        return Response(DocumentSerializer(document_get_for_customer(request.user, public_id)).data)


class PageUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: PageSerializer})
    def post(self, request, public_id):
        _case(request)
        document = document_get_for_customer(request.user, public_id)
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        from kyc.checks import UploadRejected

        try:
            page = services.document_page_add(document, actor=request.user, upload=upload, filename=upload.name)
        except UploadRejected as exc:
            raise ValidationError({"file": [str(exc.message)], "code": exc.code}) from None
        except services.KycError as exc:
            raise _refused(exc) from None
        return Response(PageSerializer(page).data, status=status.HTTP_201_CREATED)


class PageDeleteView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, public_id, page_id):
        _case(request)
        document = document_get_for_customer(request.user, public_id)
        page = next((p for p in document.pages.all() if str(p.public_id) == str(page_id)), None)
        if page is None:
            raise Http404
        try:
            services.document_page_remove(page, actor=request.user)
        except services.KycError as exc:
            raise _refused(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentSubmitView(APIView):
    @extend_schema(request=None, responses=DocumentSerializer)
    def post(self, request, public_id):
        _case(request)
        document = document_get_for_customer(request.user, public_id)
        try:
            document = services.document_submit(document, actor=request.user)
        except services.KycError as exc:
            raise _refused(exc) from None
        return Response(DocumentSerializer(document).data)


class FileView(APIView):
    """A page's file (the re-encoded copy): to its owner or a reviewer; audited."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, page_id):
        return views.page_download(request, page_id)
