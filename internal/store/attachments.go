package store

import (
	"context"
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
)

// SaveAttachment records a file whose bytes are already in the attachment store.
func (s *Store) SaveAttachment(ctx context.Context, tenantID string, a Actor, at kefu.Attachment) (kefu.Attachment, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		if at.ID == "" {
			at.ID = newID()
		}
		_, err := tx.exec(`INSERT INTO attachments (id, tenant_id, filename, content_type, size, sha256, storage_key, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			at.ID, tenantID, at.Filename, at.ContentType, at.Size, at.SHA256, at.StorageKey, a.ID, us(s.Now()))
		tx.SetResult(at)
		return kefu.InternalOrNil(err)
	})
	return at, err
}

// Attachment reads one attachment's metadata.
func (s *Store) Attachment(ctx context.Context, tenantID, id string) (kefu.Attachment, error) {
	var at kefu.Attachment
	err := s.db.QueryRowContext(ctx, `SELECT id, filename, content_type, size, sha256, storage_key FROM attachments WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &at.StorageKey)
	return at, notFound(err, "attachment")
}

// resolveAttachments replaces attachment references (by id) with their
// stored metadata, refusing ids of other tenants.
func (tx *Tx) resolveAttachments(tenantID string, refs []kefu.Attachment) ([]kefu.Attachment, error) {
	out := make([]kefu.Attachment, 0, len(refs))
	for _, r := range refs {
		var at kefu.Attachment
		err := tx.queryRow(`SELECT id, filename, content_type, size, sha256, storage_key FROM attachments WHERE tenant_id = $1 AND id = $2`, tenantID, r.ID).
			Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &at.StorageKey)
		if err != nil {
			if kefu.IsNotFound(notFound(err, "attachment")) {
				return nil, kefu.FieldError("attachments", "no attachment "+strings.TrimSpace(r.ID))
			}
			return nil, kefu.Internal(err)
		}
		out = append(out, at)
	}
	return out, nil
}
